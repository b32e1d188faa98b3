"""Complaints (complaints/, README "Complaints"): business days and the letters' wording."""

from __future__ import annotations

from datetime import time as dt_time

from django.core.exceptions import ImproperlyConfigured

from bankbuzz.env import env_str
from bankbuzz.settings.base import BANK_NAME

# --- Complaints (complaints/, README "Complaints") ------------------------------------------


def _clock_time(name: str, default: str) -> dt_time:
    value = env_str(name, default)
    try:
        return dt_time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a time of day (HH:MM)") from None


# Business days for the complaint clocks: weekdays except the bank holidays (complaints admin),
# in this time zone; a complaint received after close of business counts from the next one.
COMPLAINTS_TIME_ZONE = env_str("COMPLAINTS_TIME_ZONE", "Europe/London")
COMPLAINTS_OPENS = _clock_time("COMPLAINTS_OPENS", "09:00")
COMPLAINTS_CLOSE_OF_BUSINESS = _clock_time("COMPLAINTS_CLOSE_OF_BUSINESS", "17:30")
# The regime (its code) of complaints received through an account without one of its own.
COMPLAINTS_DEFAULT_REGIME = env_str("COMPLAINTS_DEFAULT_REGIME", "uk-disp")
# The wording slots of the letters (templates/complaints/letters/).
COMPLAINTS_FIRM_NAME = env_str("COMPLAINTS_FIRM_NAME", BANK_NAME)
COMPLAINTS_SIGNATURE = env_str("COMPLAINTS_SIGNATURE", f"Customer Care, {BANK_NAME}")
COMPLAINTS_OMBUDSMAN_NAME = env_str("COMPLAINTS_OMBUDSMAN_NAME", "the Financial Ombudsman Service")
COMPLAINTS_OMBUDSMAN_CONTACT = env_str(
    "COMPLAINTS_OMBUDSMAN_CONTACT",
    "Exchange Tower, London E14 9SR; 0800 023 4567; www.financial-ombudsman.org.uk",
)
COMPLAINTS_OMBUDSMAN_TIME_LIMIT = env_str("COMPLAINTS_OMBUDSMAN_TIME_LIMIT", "six months")
COMPLAINTS_US_AGENCY = env_str(
    "COMPLAINTS_US_AGENCY",
    "the Consumer Financial Protection Bureau (www.consumerfinance.gov/complaint, 855-411-2372)",
)
