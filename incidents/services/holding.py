"""Who an incident reply is held back from: customers whose words say more than the incident."""

from __future__ import annotations

import re

from django.conf import settings

from inbox.models import Conversation
from incidents.models import Incident
from listening.models import Mention

# A conversation whose customer said one of these (the understanding layer's intent, whatever its
# confidence: holding back is the safe side) says more than the incident: a person answers it.
DEFAULT_HOLD_INTENTS = ("fraud",)
# Money taken or a payment not recognised, in the customer's own words: a fraud report whatever
# the model made of the rest ("app down and someone took £200, I did not make that payment" reads
# as an outage to it). Matched on the understanding layer's normalised text, beside its own fraud
# cues (listening.enrichment.features.CUES).
MONEY_AT_RISK = re.compile(
    r"(?<!\w)(?:did not make|did not authori[sz]|never authori[sz]|someone took|took £|took \$|took €|"
    r"taken from my|missing from my|gone from my|emptied my|drained my|not me who)",
    re.IGNORECASE,
)


def hold_intents() -> frozenset[str]:
    return frozenset(getattr(settings, "INCIDENT_HOLD_INTENTS", DEFAULT_HOLD_INTENTS))


def hold_reason(conversation: Conversation, incident: Incident) -> str:
    """Why this customer's words say more than the incident, or "".

    Held: a message the understanding layer reads as fraud (or another of INCIDENT_HOLD_INTENTS),
    whatever its confidence, or whose words report fraud (its fraud cues, MONEY_AT_RISK) whatever
    its label unless a person corrected it; a message it cannot read with confidence (below
    CONFIDENT); a message with personal data in it (a card
    number in public needs a person). A label an agent corrected has confidence 1.0, so correcting
    a held message's intent to "outage" lets the next run answer it.

    And what the message says beyond the incident: its words without the incident's terms and the
    handles are read again, so a fraud report inside an outage ("app down and someone took £200,
    I did not make that payment") is held even when the whole message reads as the outage.
    """
    from listening.enrichment.features import CUES, normalise
    from listening.enrichment.understanding import CONFIDENT

    rows = Mention.objects.filter(
        network=conversation.network,
        thread_key=conversation.thread_key,
        author=conversation.customer_id,
        direction=Mention.Direction.IN,
    ).values_list("intent", "intent_confidence", "has_pii", "text")
    intents = hold_intents()
    unsure = settings.INCIDENT_HOLD_UNSURE
    reasons: list[str] = []
    for intent, confidence, has_pii, text in rows:
        words = normalise(text or "")
        # A label a person gave (corrected in the inbox) is certain: it overrides the words.
        by_person = confidence is not None and confidence >= 1.0
        beyond = "" if by_person or intent in intents else _beyond_the_incident(text, incident)
        if intent in intents:
            reasons.append(f"the customer's message reads as {intent}")
        elif beyond in intents:
            reasons.append(f"beyond the incident, the customer's message reads as {beyond}")
        elif (
            "fraud" in intents
            and not by_person
            and (CUES["fraud"].search(words) or MONEY_AT_RISK.search(words))
        ):
            reasons.append("the customer's message reports fraud (money taken or a payment not recognised)")
        elif unsure and intent and confidence is not None and confidence < CONFIDENT:
            reasons.append(
                f"the understanding layer is unsure what the message says ({intent}, {confidence:.0%})"
            )
        if has_pii:
            reasons.append("the customer wrote personal data")
    if not reasons:
        return ""
    return "; ".join(dict.fromkeys(reasons)).capitalize() + ": a person answers it."


# Fewer words than this left once the incident's terms are taken out say nothing more.
BEYOND_MIN_WORDS = 4


def _beyond_the_incident(text: str, incident: Incident) -> str:
    """The intent of what `text` says besides the incident's terms, read with confidence, or ""."""
    from listening.enrichment.understanding import CONFIDENT, understand

    rest = re.sub(r"@\w+", " ", text or "")
    for term in incident.terms:
        rest = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", " ", rest, flags=re.IGNORECASE)
    if len(rest.split()) < BEYOND_MIN_WORDS:
        return ""
    understood = understand(rest)
    return understood.intent if understood.intent_confidence >= CONFIDENT else ""
