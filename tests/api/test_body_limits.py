"""Bodies the API refuses cleanly: too large (413, JSON), too deeply nested (400), not JSON (400)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def _note(world, api, body: bytes, **extra):
    client = api(world.agent)
    return client.generic(
        "POST",
        f"/api/v1/conversations/{world.urgent.pk}/notes/",
        body,
        content_type="application/json",
        **extra,
    )


def test_a_body_over_the_limit_is_a_413_with_a_json_error(world, api, settings):
    settings.API_MAX_BODY_BYTES = 4096
    response = _note(world, api, json.dumps({"text": "x" * 5000}).encode())
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "over the limit of 4096 bytes" in response.json()["detail"]
    assert not world.urgent.notes.exists()


def test_a_body_over_djangos_own_limit_is_a_413_too(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    settings.API_MAX_BODY_BYTES = 1_000_000
    response = _note(world, api, json.dumps({"text": "x" * 4000}).encode())
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is over the limit")


def test_a_hundred_thousand_levels_of_nesting_are_a_400_not_a_recursion_error(world, api, settings):
    settings.API_MAX_BODY_BYTES = 1_000_000
    deep = b"[" * 100_000 + b"]" * 100_000
    response = _note(world, api, deep)
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]
    wrapped = b'{"text": ' + b"{" * 50 + b"}" * 50 + b"}"
    assert _note(world, api, wrapped).status_code == 400


def test_brackets_inside_strings_do_not_count_as_nesting(world, api):
    response = _note(world, api, json.dumps({"text": "[[[[" * 30 + ' "quoted \\" {{{{' * 10}).encode())
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b'{"text": NaN}', b"\x00"])
def test_a_body_that_is_not_json_is_a_400(world, api, body):
    response = _note(world, api, body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
