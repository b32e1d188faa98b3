"""Personal-data detection: what is found, where, and what is left alone.

Plain functions, no database and no Django: run with
``pytest tests/listening/test_enrichment_*.py -p no:django --noconftest``.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listening.enrichment.pii import (
    Finding,
    find_cards,
    find_customer_contact,
    find_pii,
    iban_valid,
    luhn_valid,
    mask,
    normalise,
)

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
ZWSP = "\u200b"
EN_DASH = "\u2013"
# Look-alike characters are built, not typed, so the source stays readable and lint-clean.
# FULLWIDTH covers digits, letters and "@" (U+FF01..U+FF5E mirror ASCII 0x21..0x7E).
FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))
DEVANAGARI = str.maketrans("0123456789", "".join(chr(0x0966 + d) for d in range(10)))


def found(text: str, **kwargs) -> list[tuple[str, str, bool | None]]:
    """(kind, exact original substring, valid) of every finding, in text order."""
    return [(f.kind, text[f.start : f.end], f.valid) for f in find_pii(text, **kwargs)]


# ------------------------------------------------------------------------------------------------
# The detection table: (text, expected findings as (kind, substring, valid))
# ------------------------------------------------------------------------------------------------

DETECTION_TABLE = [
    # Cards: valid Luhn in the usual layouts.
    ("my card 4111 1111 1111 1111 was charged", [("card", "4111 1111 1111 1111", True)]),
    ("card 4111111111111111 pls check", [("card", "4111111111111111", True)]),
    ("mc 5555-5555-5555-4444", [("card", "5555-5555-5555-4444", True)]),
    ("dots 4111.1111.1111.1111.", [("card", "4111.1111.1111.1111", True)]),
    ("amex 3782 822463 10005 ok", [("card", "3782 822463 10005", True)]),
    ("amex 378282246310005", [("card", "378282246310005", True)]),
    ("discover 6011 1111 1111 1117", [("card", "6011 1111 1111 1117", True)]),
    ("visa-13 4222222222222", [("card", "4222222222222", True)]),
    ("spaced - 4111 - 1111 - 1111 - 1111", [("card", "4111 - 1111 - 1111 - 1111", True)]),
    ("card:4111111111111111!", [("card", "4111111111111111", True)]),
    # Invalid Luhn: reported as card/valid=False only when written in card groups.
    ("typo 4111 1111 1111 1112 sorry", [("card", "4111 1111 1111 1112", False)]),
    ("typo 5555-5555-5555-4445", [("card", "5555-5555-5555-4445", False)]),
    ("order 4111111111111112 never came", []),
    ("order 1234567890123456 never came", []),
    # Unicode separators and digits.
    (f"nbsp 4111{NBSP}1111{NBSP}1111{NBSP}1111", [("card", f"4111{NBSP}1111{NBSP}1111{NBSP}1111", True)]),
    (
        f"narrow 4111{NARROW_NBSP}1111{NARROW_NBSP}1111{NARROW_NBSP}1111",
        [("card", f"4111{NARROW_NBSP}1111{NARROW_NBSP}1111{NARROW_NBSP}1111", True)],
    ),
    (
        f"zero-width 4111{ZWSP}1111{ZWSP}1111{ZWSP}1111",
        [("card", f"4111{ZWSP}1111{ZWSP}1111{ZWSP}1111", True)],
    ),
    (
        f"en dash 4111{EN_DASH}1111{EN_DASH}1111{EN_DASH}1111",
        [("card", f"4111{EN_DASH}1111{EN_DASH}1111{EN_DASH}1111", True)],
    ),
    (
        "fullwidth " + "4111 1111 1111 1111".translate(FULLWIDTH),
        [("card", "4111 1111 1111 1111".translate(FULLWIDTH), True)],
    ),
    (
        "arabic " + "4111111111111111".translate(ARABIC_INDIC),
        [("card", "4111111111111111".translate(ARABIC_INDIC), True)],
    ),
    (
        "devanagari " + "5555 5555 5555 4444".translate(DEVANAGARI),
        [("card", "5555 5555 5555 4444".translate(DEVANAGARI), True)],
    ),
    # Emoji before the number shift code-point offsets; spans must still be exact.
    ("😡😡 card 4111 1111 1111 1111 😡", [("card", "4111 1111 1111 1111", True)]),
    # Not a card: inside longer digit runs, tweet ids, links.
    ("run 41111111111111111111111 here", []),
    ("run 411111111111111111111 here", []),
    ("x 00004111111111111111 y", []),
    ("tweet https://x.com/bank/status/1790123456789012347 lol", []),
    ("tweet x.com/bank/status/4111111111111111", []),
    ("tweet id 1790123456789012347 and 2001234567890123456", []),
    ("ref 1234 5678 9012 3456 7890 1234", []),
    # Glued to a word: a card typed without its space, when the whole run passes the issuer's
    # prefix and the Luhn check; a card's layout alone, or a part of the run, is not enough.
    ("my card4111111111111111 is blocked", [("card", "4111111111111111", True)]),
    ("sku AB4111111111111111", [("card", "4111111111111111", True)]),
    ("ref 4111111111111111XY", [("card", "4111111111111111", True)]),
    ("card_5555 5555 5555 4444 thanks", [("card", "5555 5555 5555 4444", True)]),
    ("sku AB4111111111111112", []),
    ("sku AB4111 1111 1111 1112", []),
    ("sku AB41111111111111110", []),
    ("id X12344111111111111111", []),
    # After a "+", a phone number, whatever its digits say.
    ("call +4111111111111111 now", []),
    # A card followed by something else in the same run is still found.
    ("card 4111 1111 1111 1111 123 cvv", [("card", "4111 1111 1111 1111", True)]),
    ("card 4111 1111 1111 1111 2 days ago", [("card", "4111 1111 1111 1111", True)]),
    # IBANs: mod-97, with or without spaces, any case, Unicode letters.
    ("iban GB82 WEST 1234 5698 7654 32 thanks", [("iban", "GB82 WEST 1234 5698 7654 32", True)]),
    ("GB82WEST12345698765432", [("iban", "GB82WEST12345698765432", True)]),
    ("lower gb82west12345698765432.", [("iban", "gb82west12345698765432", True)]),
    ("de DE89 3704 0044 0532 0130 00 ok", [("iban", "DE89 3704 0044 0532 0130 00", True)]),
    ("nl NL91ABNA0417164300", [("iban", "NL91ABNA0417164300", True)]),
    ("fr FR14 2004 1010 0505 0001 3M02 606", [("iban", "FR14 2004 1010 0505 0001 3M02 606", True)]),
    (
        "fullwidth " + "GB82WEST12345698765432".translate(FULLWIDTH),
        [("iban", "GB82WEST12345698765432".translate(FULLWIDTH), True)],
    ),
    ("bad checksum GB83 WEST 1234 5698 7654 32", [("iban", "GB83 WEST 1234 5698 7654 32", False)]),
    ("ES24 is great and all the best", []),
    ("XX82 WEST 1234 5698 7654 32", []),
    ("GB82 WEST 1234 5698 7654 3210", []),
    # US social security numbers.
    ("ssn 123-45-6789", [("ssn", "123-45-6789", None)]),
    ("ssn 123 45 6789 ok", [("ssn", "123 45 6789", None)]),
    ("my SSN is 123456789", [("ssn", "123456789", None)]),
    ("number 123456789", []),
    ("000-12-3456 666-12-3456 900-12-3456 999-12-3456", []),
    ("123-00-4567 and 123-45-0000", []),
    ("part of 1-123-45-6789-2", []),
    # E-mail addresses.
    ("mail me at john.doe+bank@example.co.uk.", [("email", "john.doe+bank@example.co.uk", None)]),
    ("JANE_D@Example.COM please", [("email", "JANE_D@Example.COM", None)]),
    (
        "fullwidth at jane" + "@".translate(FULLWIDTH) + "example.com",
        [("email", "jane\uff20example.com", None)],
    ),
    ("thanks @BankBuzz and @help", []),
    ("not an address: a@b, x@y.z1, .a@b.com", [("email", "a@b.com", None)]),
    # Phone numbers: international and national formats.
    ("call +44 20 7946 0958", [("phone", "+44 20 7946 0958", None)]),
    ("call +44 (0)20 7946 0958 now", [("phone", "+44 (0)20 7946 0958", None)]),
    ("call +447700900123", [("phone", "+447700900123", None)]),
    ("call 0044 20 7946 0958", [("phone", "0044 20 7946 0958", None)]),
    ("call 020 7946 0958", [("phone", "020 7946 0958", None)]),
    ("call 07700 900123 or 07700900123", [("phone", "07700 900123", None), ("phone", "07700900123", None)]),
    ("tel:07700 900123", [("phone", "07700 900123", None)]),
    ("call (415) 555-2671", [("phone", "(415) 555-2671", None)]),
    ("call 415-555-2671 or 415.555.2671", [("phone", "415-555-2671", None), ("phone", "415.555.2671", None)]),
    ("call 1-800-555-0199", [("phone", "1-800-555-0199", None)]),
    ("call +1 415 555 2671", [("phone", "+1 415 555 2671", None)]),
    ("appel 06 12 34 56 78", [("phone", "06 12 34 56 78", None)]),
    ("appel 06.12.34.56.78", [("phone", "06.12.34.56.78", None)]),
    ("ruf 030 12345678", [("phone", "030 12345678", None)]),
    ("bel 06-12345678", [("phone", "06-12345678", None)]),
    ("llama 612 345 678", [("phone", "612 345 678", None)]),
    (f"nbsp 07700{NBSP}900123", [("phone", f"07700{NBSP}900123", None)]),
    (
        "fullwidth " + "07700 900123".translate(FULLWIDTH),
        [("phone", "07700 900123".translate(FULLWIDTH), None)],
    ),
    # Not phones: short numbers, amounts, dates, times, years, decimals.
    ("short 123 4567 and 999 and 112", []),
    ("£1,200.50 charged twice", []),
    ("€1.200,50 charged, then 1 234 567 euros", []),
    ("$1 634 567 890 total", []),
    ("charged £12345678.90", []),
    ("on 12/05/2024 at 10:30", []),
    ("on 2024-05-12 and 05.12.2024 10.30", []),
    ("from 01.02.2023-05.06.2024", []),
    ("years 2019-2024 and 1999", []),
    ("version 0.123456789", []),
    ("order #0123456789", []),
    # Several kinds in one post, in order.
    (
        "card 4111 1111 1111 1111, mail a@b.com, call 07700 900123",
        [
            ("card", "4111 1111 1111 1111", True),
            ("email", "a@b.com", None),
            ("phone", "07700 900123", None),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), DETECTION_TABLE, ids=[t[:40] for t, _ in DETECTION_TABLE])
def test_detection_table(text, expected):
    assert found(text) == expected


def test_spans_point_into_the_original_string():
    card = "4111 1111 1111 1111".translate(FULLWIDTH)
    phone = "07700 900123".translate(ARABIC_INDIC)
    text = f"😀 {card} and {phone}"
    findings = find_pii(text)
    assert [f.kind for f in findings] == ["card", "phone"]
    assert text[findings[0].start : findings[0].end] == card
    assert text[findings[1].start : findings[1].end] == phone


def test_account_patterns_run_on_normalised_text():
    patterns = [r"\b\d{2}-\d{2}-\d{2} \d{8}\b"]
    text = f"sort code 12{EN_DASH}34{EN_DASH}56{NBSP}12345678 please"
    assert found(text, account_patterns=patterns) == [
        ("account", f"12{EN_DASH}34{EN_DASH}56{NBSP}12345678", None)
    ]
    # Without the bank's countries, only the configured patterns know a UK account.
    assert found("sort code 12-34-56 12345678", countries=()) != found(
        "sort code 12-34-56 12345678", countries=(), account_patterns=patterns
    )


def test_account_pattern_that_matches_nothing_or_empty_is_harmless():
    assert found("hello 42", account_patterns=[r"x*"]) == []


def test_findings_never_overlap_and_a_valid_checksum_wins():
    # The IBAN contains a 14-digit run; it is reported once, as an IBAN.
    assert [k for k, _, _ in found("GB82 WEST 1234 5698 7654 32")] == ["iban"]


def test_the_banks_own_public_contacts_are_not_personal_data():
    allowed = ["+44 345 300 0000", "Help@Bank.example", "GB82 WEST 1234 5698 7654 32"]
    text = (
        "Call us on 0345 300 0000 or help@bank.example, pay GB82WEST12345698765432; "
        "you wrote 07700 900123 and jane@example.com"
    )
    assert [k for k, _, _ in found(text)] == ["phone", "email", "iban", "phone", "email"]
    assert found(text, allowed=allowed) == [
        ("phone", "07700 900123", None),
        ("email", "jane@example.com", None),
    ]


def test_allowed_entries_never_hide_a_card():
    assert found("card 4111 1111 1111 1111", allowed=["1111", "", "   "]) == [
        ("card", "4111 1111 1111 1111", True)
    ]


def test_finding_is_json_serialisable():
    finding = find_pii("card 4111 1111 1111 1111")[0]
    data = asdict(finding)
    assert json.loads(json.dumps(data)) == {
        "kind": "card",
        "start": 5,
        "end": 24,
        "valid": True,
        "preview": "•••• •••• •••• 1111",
    }
    assert Finding(**data) == finding


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("4111111111111112", False),
        ("79927398713", True),
        ("0", True),
        ("", False),
        ("12a4", False),
        ("4111".translate(FULLWIDTH), False),  # only ASCII digits; callers normalise first
    ],
)
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("gb82-west-1234-5698-7654-32", True),
        ("DE89370400440532013000", True),
        ("GB82 WEST 1234 5698 7654 33", False),
        ("GB", False),
        ("1234", False),
        ("GB82 WE$T 1234", False),
    ],
)
def test_iban_checksum(iban, valid):
    assert iban_valid(iban) is valid


# ------------------------------------------------------------------------------------------------
# Masking
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("card 4111 1111 1111 1111 ok", "card •••• •••• •••• 1111 ok"),
        ("card 4111111111111111", "card ••••••••••••1111"),
        ("typo 4111-1111-1111-1112", "typo ••••-••••-••••-1112"),
        ("ssn 123-45-6789", "ssn •••-••-6789"),
        ("call +44 20 7946 0958", "call +•• •• •••• 0958"),
        ("iban GB82 WEST 1234 5698 7654 32", "iban GB•• •••• •••• •••• ••54 32"),
        ("mail jane.doe@example.com", "mail j•••.•••@•••••••.com"),
        (
            "fullwidth " + "4111 1111 1111 1111".translate(FULLWIDTH),
            "fullwidth •••• •••• •••• " + "1111".translate(FULLWIDTH),
        ),
        ("nothing here", "nothing here"),
    ],
)
def test_mask(text, masked):
    assert mask(text, find_pii(text)) == masked


def test_mask_keeps_length_and_everything_outside_the_findings():
    text = "😀 card 4111 1111 1111 1111, call 07700 900123 ✓"
    masked = mask(text, find_pii(text))
    assert len(masked) == len(text)
    assert masked.startswith("😀 card •••• ")
    assert masked.endswith(", call ••••• ••0123 ✓")


def test_preview_matches_the_mask():
    text = "card 4111 1111 1111 1111"
    (finding,) = find_pii(text)
    assert mask(text, [finding])[finding.start : finding.end] == finding.preview


def test_mask_ignores_findings_that_do_not_fit():
    stray = Finding(kind="card", start=50, end=70, valid=True, preview="")
    assert mask("short text", [stray]) == "short text"


# ------------------------------------------------------------------------------------------------
# The customer's own contact details
# ------------------------------------------------------------------------------------------------


def test_customer_phone_matches_across_formats():
    text = "call me on 07700 900 123 or +44 7700 900123, not 07700 900999"
    findings = find_customer_contact(text, phones=["+44 (0)7700 900123"])
    assert [text[f.start : f.end] for f in findings] == ["07700 900 123", "+44 7700 900123"]
    assert {f.kind for f in findings} == {"phone"}


def test_customer_email_matches_case_insensitively_and_whole():
    text = "write to JANE@Example.com or xjane@example.com or jane@example.community"
    findings = find_customer_contact(text, emails=["jane@example.com"])
    assert [text[f.start : f.end] for f in findings] == ["JANE@Example.com"]


def test_customer_contact_without_details_finds_nothing():
    assert find_customer_contact("call 07700 900123", emails=[], phones=[""]) == []
    assert find_customer_contact("", emails=["a@b.com"], phones=["07700900123"]) == []


# ------------------------------------------------------------------------------------------------
# Robustness: arbitrary Unicode never crashes and spans always fit
# ------------------------------------------------------------------------------------------------

# Characters that exercise the detectors: digits of several scripts, separators, letters, @, +.
_INTERESTING = st.sampled_from(
    [*"0123456789 -.+()@/#", "\uff14", "\u0664", "\u096a", NBSP, NARROW_NBSP, ZWSP, EN_DASH, *"GBxé😀"]
)


def _check_findings(text: str, findings: list[Finding]) -> None:
    previous_end = 0
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert finding.start >= previous_end, "findings overlap or are out of order"
        previous_end = finding.end
        assert len(finding.preview) == finding.end - finding.start
        json.dumps(asdict(finding))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_pii_never_crashes_and_spans_fit_arbitrary_unicode(text):
    findings = find_pii(text, account_patterns=[r"\d{6,}"])
    _check_findings(text, findings)
    assert len(normalise(text)) == len(text)
    assert len(mask(text, findings)) == len(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_INTERESTING, max_size=120))
def test_find_pii_never_crashes_on_digit_heavy_text(text):
    findings = find_pii(text)
    _check_findings(text, findings)
    masked = mask(text, findings)
    assert len(masked) == len(text)
    _check_findings(text, find_customer_contact(text, emails=["a@b.com"], phones=["+44 7700 900123"]))


def test_lone_surrogates_and_control_characters_do_not_crash():
    text = "card \ud800 4111 1111 1111 1111 \x00 \U0001f600"
    assert found(text) == [("card", "4111 1111 1111 1111", True)]


@pytest.mark.parametrize(
    "text",
    [
        "1-" * 5000,
        "4 " * 3000,
        "07 " * 3000,
        "(1" * 5000,
        "a." * 5000 + "12345678",
        "x@" * 5000 + "1" * 8,
        "01/01/2020 " * 2000,
        "https://x.co/a " * 2000 + "4111111111111111",
    ],
    ids=["dashed-ones", "spaced-fours", "spaced-trunks", "parens", "dotted-letters", "ats", "dates", "links"],
)
def test_hostile_long_input_completes(text):
    # Not a timing test: these shapes were once quadratic; they must simply finish and stay sane.
    _check_findings(text, find_pii(text))


# ------------------------------------------------------------------------------------------------
# Cards at rest, national numbers of the bank's countries, UK sort code and account number
# ------------------------------------------------------------------------------------------------


def test_find_cards_sees_cards_in_links_but_not_inside_an_iban():
    text = "pay https://shop.example/?pan=4111111111111111 or GB33 BUKB 2020 1555 5555 55"
    assert [text[f.start : f.end] for f in find_cards(text)] == ["4111111111111111"]
    assert find_pii("https://shop.example/?pan=4111111111111111") == []  # the inbox badge ignores links


def test_masking_keeps_the_last_four_and_the_length():
    text = "card 4111-1111-1111-1111!"
    masked = mask(text, find_cards(text))
    assert masked == "card ••••-••••-••••-1111!" and len(masked) == len(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("NI JG 10 37 59 A please", "JG 10 37 59 A"),
        ("NI jg103759a", "jg103759a"),
        ("NIR 2 95 10 99 126 111 93", "2 95 10 99 126 111 93"),
        ("DNI 12345678-Z", "12345678-Z"),
        ("NIE X1234567L", "X1234567L"),
        ("CF RCCMNL83S18D969H", "RCCMNL83S18D969H"),
        ("BSN: 111222333", "111222333"),
        ("Steuer-ID 36 574 261 809", "36 574 261 809"),
        ("PESEL 44051401359", "44051401359"),
        ("NIF 123456789", "123456789"),
    ],
)
def test_national_numbers_of_the_default_countries(text, found):
    assert [(f.kind, text[f.start : f.end]) for f in find_pii(text)] == [("ssn", found)]


@pytest.mark.parametrize(
    "text",
    [
        "GB 12 34 56 A is not issued",  # a prefix HMRC never issues
        "DNI 12345678A",  # wrong check letter
        "order 111222333 and 44051401359",  # bare numbers with a passing check, but unnamed
        "BSN 111222334",  # named, wrong check digit
    ],
)
def test_national_number_lookalikes(text):
    assert [f for f in find_pii(text) if f.kind == "ssn"] == []


def test_national_numbers_only_for_the_banks_countries():
    assert find_pii("DNI 12345678Z", countries=("GB",)) == []
    assert [f.kind for f in find_pii("DNI 12345678Z", countries=("ES",))] == ["ssn"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("sort code 12-34-56 12345678", ["12-34-56 12345678"]),
        ("pay 12 34 56 12345678 today", ["12 34 56 12345678"]),
        ("sort code 123456, account 12345678", ["123456", "12345678"]),
        ("sort code 123456 12345678", ["123456 12345678"]),
        ("sort code: 12-34-56, account no. 12345678", ["12-34-56", "12345678"]),
        ("ref 123456 12345678", []),  # no "sort code", no 2-2-2 layout: two numbers
    ],
)
def test_uk_sort_code_and_account_number(text, found):
    assert [text[f.start : f.end] for f in find_pii(text) if f.kind == "account"] == found


def test_the_settings_and_the_detector_know_the_same_countries():
    from bankbuzz import bank_identity
    from listening.enrichment import national

    assert bank_identity.SUPPORTED_COUNTRIES == national.SUPPORTED_COUNTRIES
    assert bank_identity.DEFAULT_COUNTRIES == national.DEFAULT_COUNTRIES


def test_iban_lengths_come_from_schwifty():
    from listening.enrichment.pii.checksums import iban_lengths as _iban_lengths

    assert _iban_lengths()["GB"] == 22 and _iban_lengths()["FR"] == 27
    assert "XX" not in _iban_lengths()
