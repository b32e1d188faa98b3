"""The personal-data guard on replies: a detection table, lengths, and the approval rules."""

from __future__ import annotations

import pytest

from inbox import guard

PUBLIC, PRIVATE = guard.PUBLIC, guard.PRIVATE


def digits(text: str, zero: int, space: str = " ") -> str:
    """`text` with its digits from another script (zero: the code point of that script's 0)."""
    return "".join(chr(zero + int(ch)) if ch.isdigit() else space if ch == " " else ch for ch in text)


FULLWIDTH_CARD = digits("4111 1111 1111 1111", 0xFF10)
ARABIC_INDIC_CARD = digits("4111 1111 1111 1111", 0x0660, space="\u00a0")


def kinds(text: str, channel: str = PUBLIC, **contacts) -> list[tuple[str, bool | None, str]]:
    result = guard.check(text, channel=channel, **contacts)
    return [(hit.kind, hit.valid, text[hit.start : hit.end]) for hit in result.hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Card numbers: Luhn-valid in every common layout.
        ("Your card 4111 1111 1111 1111 is fine", [("card", True, "4111 1111 1111 1111")]),
        ("card 4111-1111-1111-1111 ok", [("card", True, "4111-1111-1111-1111")]),
        ("card 4111.1111.1111.1111 ok", [("card", True, "4111.1111.1111.1111")]),
        ("card 4111111111111111 ok", [("card", True, "4111111111111111")]),
        ("amex 3782 822463 10005 ok", [("card", True, "3782 822463 10005")]),
        # Unicode digits (fullwidth, Arabic-Indic) and no-break spaces are still a card.
        (f"card {FULLWIDTH_CARD}", [("card", True, FULLWIDTH_CARD)]),
        (f"card {ARABIC_INDIC_CARD} ok", [("card", True, ARABIC_INDIC_CARD)]),
        # A mistyped card written in card groups is still most of a real card.
        ("card 4111 1111 1111 1112 ok", [("card", False, "4111 1111 1111 1112")]),
        # An unseparated run that fails Luhn is an order number, not a card.
        ("order 4111111111111112 shipped", []),
        # Inside a longer run of digits: not a card (a reference, an id).
        ("ref 99941111111111111111999 ok", []),
        ("tweet 1790012345678901234 ok", []),
        # IBANs: valid and invalid check digits told apart; spaces and lower case.
        ("pay GB82 WEST 1234 5698 7654 32 today", [("iban", True, "GB82 WEST 1234 5698 7654 32")]),
        ("pay DE89370400440532013000 today", [("iban", True, "DE89370400440532013000")]),
        ("pay DE89370400440532013001 today", [("iban", False, "DE89370400440532013001")]),
        # Social security numbers.
        ("SSN 123-45-6789 on file", [("ssn", None, "123-45-6789")]),
        # Nothing personal: amounts, dates, short numbers.
        ("We refunded £12.50 on 03/04/2024, ticket 4471", []),
    ],
)
def test_public_detection_table(text, expected):
    assert kinds(text) == expected


def test_the_customers_own_contact_details_in_any_layout():
    found = kinds(
        "Hi Rosa, we will call you on 07700 900 123 or write to Rosa.G@Example.com",
        customer_emails=["rosa.g@example.com"],
        customer_phones=["+44 7700 900123"],
    )
    assert [(k, t) for k, _v, t in found] == [("phone", "07700 900 123"), ("email", "Rosa.G@Example.com")]
    result = guard.check(
        "Email Rosa.G@example.com", channel=PUBLIC, customer_emails=["rosa.g@example.com"], customer_phones=()
    )
    assert result.hits[0].reason == "the customer's own e-mail address"


def test_the_banks_published_contacts_pass(settings):
    settings.BANK_PUBLIC_CONTACTS = ["0345 300 0000", "help@northbridge.example"]
    assert kinds("Call us on 0345 300 0000 or help@northbridge.example") == []


# (text, public: refused kinds, private: refused kinds without / with the agent's confirmation,
#  a private message allowed instead of the public reply, a lead's override possible)
POLICY_TABLE = [
    ("Your card 4111 1111 1111 1111 is fine", ["card"], ["card"], ["card"], False, False),
    ("SSN 123-45-6789 on file", ["ssn"], ["ssn"], ["ssn"], False, False),
    ("NI number JG 10 37 59 A noted", ["ssn"], ["ssn"], ["ssn"], False, False),
    (
        "card 4111 1111 1111 1111 and IBAN GB82 WEST 1234 5698 7654 32",
        ["card", "iban"],
        ["card", "iban"],
        ["card"],
        False,
        False,
    ),
    ("pay GB82 WEST 1234 5698 7654 32 today", ["iban"], ["iban"], [], True, True),
    ("sort code 12-34-56 12345678 is right", ["account"], ["account"], [], True, True),
    ("write to rosa@example.com", ["email"], [], [], True, True),
    ("the card ending 1111 is blocked", [], [], [], False, False),
    ("see https://pay.example/?pan=4111111111111111", ["card"], ["card"], ["card"], False, False),
    # Typed without its space: still the customer's card, never sent.
    ("your card4111111111111111 is unblocked", ["card"], ["card"], ["card"], False, False),
]


@pytest.mark.parametrize(
    ("text", "public", "private", "confirmed", "private_instead", "override"), POLICY_TABLE
)
def test_the_policy_by_kind(text, public, private, confirmed, private_instead, override):
    result = guard.check(text, channel=PUBLIC)
    assert [hit.kind for hit in result.hits] == public
    assert (result.private_allowed, result.overridable) == (private_instead, override)
    assert [hit.kind for hit in guard.check(text, channel=PRIVATE).hits] == private
    assert [hit.kind for hit in guard.check(text, channel=PRIVATE, confirmed=True).hits] == confirmed


def test_a_card_is_refused_in_private_with_no_way_round():
    result = guard.check("Your card 4111 1111 1111 1111", channel=PRIVATE, confirmed=True)
    assert result.blocked and result.never and not result.overridable and not result.needs_confirmation
    assert "in public or in a private message" in result.message(PRIVATE)


def test_an_iban_in_private_waits_for_the_confirmation():
    result = guard.check("pay GB82 WEST 1234 5698 7654 32", channel=PRIVATE)
    assert result.needs_confirmation and result.confirm_kinds == ["an IBAN"]
    assert "Confirm that the customer asked for it" in result.message(PRIVATE)


def test_more_kinds_can_be_refused_in_private(settings):
    settings.REPLY_PRIVATE_BLOCKED_KINDS = ["iban"]
    text = "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32"
    # Cards and national numbers stay refused whatever the setting says.
    assert [k for k, _v, _t in kinds(text, PRIVATE)] == ["card", "iban"]
    assert not guard.check("IBAN GB82 WEST 1234 5698 7654 32", channel=PUBLIC).overridable


def test_the_banks_own_numbers_from_the_typed_settings_pass(settings):
    settings.BANK_PUBLIC_CONTACTS = ["+443453000000", "GB33BUKB20201555555555", "40-11-62 21234567"]
    text = "Call 0345 300 0000, pay GB33 BUKB 2020 1555 5555 55 or sort code 40-11-62 21234567"
    assert kinds(text) == []
    # A customer's account at the same sort code is still theirs.
    assert [k for k, _v, _t in kinds("sort code 40-11-62 21234568 please")] == ["account"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("my NIR 2 95 10 99 126 111 93", "2 95 10 99 126 111 93"),
        ("DNI 12345678Z", "12345678Z"),
        ("codice fiscale RCCMNL83S18D969H", "RCCMNL83S18D969H"),
        ("mijn BSN is 111222333", "111222333"),
        ("PESEL: 44051401359", "44051401359"),
        ("Steuer-ID 36574261809", "36574261809"),
    ],
)
def test_national_numbers_of_the_banks_countries_are_refused_everywhere(text, found):
    for channel in (PUBLIC, PRIVATE):
        assert kinds(text, channel) == [("ssn", None, found)]


def test_bare_national_number_lookalikes_need_their_name(settings):
    # 111222333 passes the Dutch check; without "BSN" in front it is just a number.
    assert kinds("order 111222333 arrived") == []
    settings.BANK_COUNTRIES = ["GB"]
    assert kinds("mijn BSN is 111222333") == []


def test_segments_mark_the_exact_spans():
    text = "card 4111 1111 1111 1111 thanks"
    result = guard.check(text, channel=PUBLIC)
    parts = result.segments(text)
    assert parts[0] == ("card ", None)
    assert parts[1][0] == "4111 1111 1111 1111" and parts[1][1].kind == "card"
    assert parts[2] == (" thanks", None)
    assert "a card number (it passes the Luhn check)" in result.message(PUBLIC)
    assert "4111" not in str(result.hits[0].as_record())


@pytest.mark.parametrize(
    ("network", "text", "length"),
    [
        ("x", "a" * 280, 280),
        ("x", "see https://example.com/a/very/long/path/that/goes/on/and/on/and/on", 4 + 23),
        ("x", "two links http://a.example and https://b.example/x", 10 + 23 + 5 + 23),
        ("x", "日本", 4),
        ("facebook", "https://example.com/long", 24),
    ],
)
def test_length_as_the_network_counts(network, text, length):
    assert guard.reply_length(network, text) == length


def test_approval_rules():
    def reasons(text="Thanks for waiting", **kw):
        facts = {"author_is_trainee": False, "author_is_lead": False, "followers": 100, "overridden": False}
        return guard.approval_reasons(text=text, **{**facts, **kw})

    assert reasons() == []
    assert reasons(author_is_trainee=True) == ["written by a trainee"]
    assert reasons("We will REFUND the fee") == ["mentions “refund”"]
    assert reasons("our Interest\nrate is 4%") == ["mentions “interest rate”"]
    assert reasons(followers=250_000) == ["the customer has 250,000 followers (over 10,000)"]
    # Leads are the checkers; only an override needs a second person.
    assert reasons("refund", author_is_lead=True) == []
    assert reasons(author_is_lead=True, overridden=True) == ["the personal-data guard was overridden"]
