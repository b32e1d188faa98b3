"""Masking a whole payload decides from its JSON text whether any string needs a look: it must
mask exactly what looking at every string masks, and leave a payload without a card untouched."""

from __future__ import annotations

import random

import pytest

from listening import pan_vault

CARD = "4111 1111 1111 1111"


def walked(value):
    """Every string looked at, one by one (what the payload's quick check must agree with)."""
    if isinstance(value, str):
        return pan_vault.mask_cards(value)
    if isinstance(value, dict):
        return {key: walked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [walked(item) for item in value]
    return value


def tweet(text: str, **extra) -> dict:
    return {
        "id": "1900003456789012345",
        "author_id": "1400000000000079190",
        "conversation_id": "1900003456789012345",
        "created_at": "2026-12-06T15:00:00.000Z",
        "text": text,
        "public_metrics": {"retweet_count": 3, "like_count": 12},
        "edit_history_tweet_ids": ["1900003456789012345"],
        **extra,
    }


def test_a_payload_without_a_card_is_returned_as_it_is():
    payload = tweet("My card was declined at 14:05 on 06-12-2026, ref 123456789")
    assert pan_vault.mask_payload(payload) is payload


@pytest.mark.parametrize(
    "where",
    [
        lambda card: tweet(card),
        lambda card: tweet("hi", entities={"urls": [{"expanded_url": f"https://x.example/pay?c={card}"}]}),
        lambda card: tweet("hi", note_tweet={"text": f"long text... {card} ..."}),
        lambda card: tweet("hi", user={"name": f"Ann {card}"}),
        lambda card: [tweet("hi"), ["list", card]],
    ],
)
@pytest.mark.parametrize(
    "card",
    [
        CARD,
        "4111-1111-1111-1111",
        "4111111111111111",
        "\x054111 1111 1111 1111",  # a control character before it (escaped in JSON as \u0005)
        "\u0664\u0661\u0661\u0661 1111 1111 1111",  # Arabic-Indic digits
        "\uff14\uff11\uff11\uff11\u200b1111 1111 1111",  # full-width digits, a zero-width space
        "5500\u22120000\u22120000\u22120004",  # minus signs as the dashes
        "card:4111 1111 1111 1111.",
    ],
)
def test_a_card_anywhere_in_a_payload_is_masked_as_string_by_string(where, card):
    payload = where(card)
    masked = pan_vault.mask_payload(payload)
    assert masked == walked(payload)
    assert masked != walked(tweet("hi"))
    assert "1111 1111 1111" not in str(masked) and "4111111111111111" not in str(masked)


def test_random_payloads_are_masked_exactly_as_string_by_string():
    rng = random.Random(25)
    alphabet = "0123456789" * 6 + ' .-_x\x05\n"\\\u2212\u200b\uff14\u0661/:' + "abc"

    def text():
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))

    for _ in range(3000):
        payload = {"id": "19" + "".join(rng.choice("0123456789") for _ in range(17)), "text": text()}
        if rng.random() < 0.5:
            payload["nested"] = [text(), {"deeper": text(), "n": rng.randrange(10**15)}]
        assert pan_vault.mask_payload(payload) == walked(payload), payload


def test_what_json_cannot_write_is_still_walked():
    class Odd:
        def __str__(self):
            return CARD

    odd = Odd()
    payload = {"when": odd, "text": f"pay {CARD}"}
    masked = pan_vault.mask_payload(payload)
    assert masked["when"] is odd and "4111" not in masked["text"]
