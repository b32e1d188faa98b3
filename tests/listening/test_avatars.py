"""Customers' avatars: fetched by the worker with limits, served from our origin, never linked.

A local HTTP server stands in for the networks' picture hosts (the HTTP boundary); under DEBUG
`AVATAR_PRIVATE_HOSTS` lets the fetcher reach it, as it reaches the sandbox under `make run`.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from listening.avatars import AvatarRefused, avatar_download, avatar_store, avatars_fetch_due
from listening.models import Author, AuthorAvatar
from tests.factories import TINY_PNG, AuthorFactory, ConversationFactory

pytestmark = pytest.mark.django_db

ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok.png": (200, {"Content-Type": "image/png"}, TINY_PNG),
    "/big.png": (200, {"Content-Type": "image/png"}, TINY_PNG + b"\x00" * 300_000),
    "/vector.svg": (200, {"Content-Type": "image/svg+xml"}, b"<svg onload='alert(1)'/>"),
    "/page.html": (200, {"Content-Type": "text/html"}, b"<html></html>"),
    "/lying.png": (200, {"Content-Type": "image/png"}, b"<html><script>alert(1)</script></html>"),
    "/moved.png": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/gone.png": (404, {"Content-Type": "text/plain"}, b"no"),
}


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        status, headers, body = ROUTES.get(self.path, (404, {}, b""))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def picture_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def allowed(settings):
    settings.DEBUG = True
    settings.AVATAR_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.AVATAR_MAX_BYTES = 256 * 1024


def test_a_png_is_fetched_and_served_from_our_origin(client, agent, picture_host, allowed):
    author = AuthorFactory(avatar_url=f"{picture_host}/ok.png")
    conversation = ConversationFactory(customer=author)
    client.force_login(agent)
    before = client.get(reverse("inbox:detail", args=[conversation.pk])).content.decode()
    assert picture_host not in before and "avatar-initials" in before  # the initial until fetched

    assert avatars_fetch_due() == 1
    author.refresh_from_db()
    src = f"/listening/avatars/{author.pk}.img?v={author.avatar_sha256}"
    page = client.get(reverse("inbox:detail", args=[conversation.pk])).content.decode()
    assert f'src="{src.replace("&", "&amp;")}"' in page and picture_host not in page
    listing = client.get(reverse("inbox:list")).content.decode()
    assert src in listing and picture_host not in listing

    response = client.get(src)
    assert response.status_code == 200 and response.content == TINY_PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert avatars_fetch_due() == 0, "fetched once, not again"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/big.png", "larger than 262144 bytes"),
        ("/vector.svg", "not a PNG, JPEG, GIF or WebP image (image/svg+xml)"),
        ("/page.html", "not a PNG, JPEG, GIF or WebP image (text/html)"),
        ("/lying.png", "the bytes are not a image/png image"),
        ("/moved.png", "redirects are not followed"),
        ("/gone.png", "the server answered 404"),
    ],
)
def test_what_is_not_a_small_image_is_refused_and_nothing_is_shown(picture_host, allowed, path, reason):
    with pytest.raises(AvatarRefused, match=re.escape(reason)):
        avatar_download(f"{picture_host}{path}")
    author = AuthorFactory(avatar_url=f"{picture_host}{path}")
    assert avatars_fetch_due() == 0
    stored = AuthorAvatar.objects.get(author=author)
    assert stored.status == "failed" and stored.data in (b"", memoryview(b"")) and reason in stored.error
    assert Author.objects.get(pk=author.pk).avatar_sha256 == ""
    assert "/latest/meta-data/" not in _Handler.hits, "a redirect is never followed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/ok.png",
        "http://localhost/ok.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/a.png",
        "http://[::1]/a.png",
        "http://[::ffff:192.168.1.1]/a.png",
        "http://0.0.0.0/a.png",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(settings, url):
    settings.DEBUG = True
    settings.AVATAR_PRIVATE_HOSTS = []
    with pytest.raises(AvatarRefused, match="private, loopback or link-local"):
        avatar_download(url)


def test_the_sandbox_allowance_holds_under_debug_only(settings, picture_host):
    settings.AVATAR_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.DEBUG = False
    with pytest.raises(AvatarRefused, match="only https URLs"):
        avatar_download(f"{picture_host}/ok.png")
    with pytest.raises(AvatarRefused, match="private, loopback or link-local"):
        avatar_download("https://127.0.0.1:1/ok.png")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://x.example/a.png"]
)
def test_other_schemes_are_refused(allowed, url):
    with pytest.raises(AvatarRefused, match="only"):
        avatar_download(url)


def test_the_avatar_is_for_inbox_readers_only(client, agent, specialist, outsider):
    author = AuthorFactory(avatar_url="https://pbs.example/a.png")
    avatar_store(author=author, url=author.avatar_url, content_type="image/png", data=TINY_PNG)
    url = reverse("listening:avatar", args=[author.pk])
    client.force_login(agent)
    assert client.get(url).status_code == 200
    for person in (specialist, outsider):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.force_login(agent)
    assert client.get(reverse("listening:avatar", args=[author.pk + 1000])).status_code == 404


def test_erasure_and_minimising_remove_the_stored_picture(db):
    from listening.retention import author_anonymise, author_minimise

    kept, erased = (
        AuthorFactory(avatar_url="https://pbs.example/k.png"),
        AuthorFactory(avatar_url="https://pbs.example/e.png"),
    )
    for author in (kept, erased):
        avatar_store(author=author, url=author.avatar_url, content_type="image/png", data=TINY_PNG)
    author_anonymise(Author.objects.filter(pk=erased.pk))
    author_minimise(Author.objects.filter(pk=kept.pk))
    assert not AuthorAvatar.objects.exists()
    assert set(Author.objects.values_list("avatar_sha256", flat=True)) == {""}
