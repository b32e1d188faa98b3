"""An agent corrects a message's intent in one choice in the pane; the label sticks and is audited."""

import pytest
from playwright.sync_api import expect

from bankbuzz.audit.models import AuditEvent
from listening.models import LabelCorrection, Mention
from tests.e2e.test_accessibility import AXE, AXE_COLOUR_RULES, _axe
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_correcting_an_unsure_intent_in_one_choice(page, login, agent):
    conversation = customer_message(
        text="there is a payment of 89.90 on my statement, no idea what it is", thread="lc1", handle="jo_m"
    )
    Mention.objects.filter(thread_key="lc1").update(intent="question", intent_confidence=0.4)
    mention = Mention.objects.get(thread_key="lc1")
    page.context.add_init_script(path=str(AXE))  # axe-core in every page, as the accessibility walk
    login(page, "amira")
    page.locator(f"#row-{conversation.pk} .row-link").click()

    intent = page.locator(f"#label-{mention.pk}-intent")
    expect(intent).to_have_value("question")
    # Greyed: the model was unsure, and still readable (WCAG AA contrast) in either colour scheme.
    expect(page.locator(f"#labels-{mention.pk} form.label-unsure")).to_have_count(1)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        assert _axe(page, AXE_COLOUR_RULES) == [], scheme
    page.emulate_media(color_scheme="light")

    intent.select_option("fraud")

    expect(page.locator("#pane")).to_contain_text("Intent corrected to fraud.")
    expect(page.locator(f"#label-{mention.pk}-intent")).to_have_value("fraud")
    # A person set it: no longer greyed.
    expect(page.locator(f"#labels-{mention.pk} form.label-unsure")).to_have_count(0)
    mention.refresh_from_db()
    assert (mention.intent, mention.intent_confidence) == ("fraud", 1.0)
    assert LabelCorrection.objects.get().corrected_by == agent
    assert AuditEvent.objects.filter(verb="mention.label_corrected", object_id=str(mention.pk)).exists()
