"""The bank's own published numbers and its countries, read from the environment and checked.

The personal-data guard lets these pass: an agent may write the bank's helpline, the IBAN it
publishes for payments or its sort code and account number for cheques. A typo here would
either block every answer that gives the helpline or let a customer's number through, so each
value is parsed with the library of its field and a bad one stops the process at start-up with
the variable's name (`bankbuzz.env`'s rule).
"""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ImproperlyConfigured
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from bankbuzz.env import env_list

# The countries whose national identity numbers `listening.enrichment.national` knows (a test
# keeps the two lists equal; the project's core imports no app).
SUPPORTED_COUNTRIES = frozenset({"GB", "FR", "DE", "ES", "IT", "NL", "PL", "PT"})
DEFAULT_COUNTRIES = ("GB", "FR", "DE", "ES", "IT", "NL", "PL", "PT")

_SORT_CODE_ACCOUNT_RE = re.compile(r"^([0-9]{2})[ \-]?([0-9]{2})[ \-]?([0-9]{2})[ ,/]*([0-9]{8})$")


def countries(name: str) -> tuple[str, ...]:
    """ISO 3166 alpha-2 codes whose national numbers the guard knows; the first is the home one."""
    codes = tuple(code.upper() for code in env_list(name, list(DEFAULT_COUNTRIES)))
    unknown = sorted(set(codes) - SUPPORTED_COUNTRIES)
    if unknown or not codes:
        raise ImproperlyConfigured(
            f"{name}: {', '.join(unknown) or '(empty)'} not supported; "
            f"choose among {', '.join(sorted(SUPPORTED_COUNTRIES))}"
        )
    return codes


def phones(name: str, *, region: str) -> tuple[str, ...]:
    """Phone numbers as E.164 ("+443453000000"); national ones are read in `region`."""
    parsed = []
    for value in env_list(name):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not a phone number ({exc})") from None
        if not phonenumbers.is_possible_number(number):
            raise ImproperlyConfigured(f"{name}: {value!r} is not a possible phone number in {region}")
        parsed.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return tuple(parsed)


def ibans(name: str) -> tuple[str, ...]:
    """IBANs in their compact form; each must pass schwifty's checks (length, layout, mod 97)."""
    parsed = []
    for value in env_list(name):
        try:
            parsed.append(IBAN(value).compact)
        except (SchwiftyException, ValueError) as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not a valid IBAN ({exc})") from None
    return tuple(parsed)


def sort_code_accounts(name: str) -> tuple[str, ...]:
    """UK sort code and account number pairs ("40-11-62 21234567").

    A bare sort code is refused: the bank's customers share its sort codes, so allowing one
    would let every customer's account number at that branch through.
    """
    parsed = []
    for value in env_list(name):
        match = _SORT_CODE_ACCOUNT_RE.match(value.strip())
        if match is None:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not a sort code with its account number (e.g. 40-11-62 21234567)"
            )
        first, second, third, account = match.groups()
        parsed.append(f"{first}-{second}-{third} {account}")
    return tuple(parsed)
