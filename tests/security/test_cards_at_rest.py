"""No card number is stored in clear, whatever a person types it into.

People type a customer's card number (a Visa test number with spaces, a Mastercard one with
dashes) into the free-text inputs of the product, through the paths people use: the pages'
forms (posted as the browser does, with the CSRF token), the JSON API, the Django admin's
change form, and the system's bulk paths. Then every text, varchar, json, jsonb and tsvector
column of every table, the audit log and the sessions included, is read back: the digits are
nowhere.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import F
from django.urls import reverse

from bankbuzz.accounts import roles
from bankbuzz.api.tokens import api_token_create
from bankbuzz.audit.models import AuditEvent
from complaints.models import Complaint, ComplaintRegime, Letter, Vulnerability
from complaints.seed import seed_now
from escalations import services as escalation_services
from escalations.models import Department, Escalation, EscalationEvent, Holiday, RoutingRule
from escalations.services.opening import RuleEscalation, escalations_open_by_rules
from inbox.models import Conversation, Note, SavedReply
from incidents.models import Incident, Post
from learning.models import AdviceArticle, LibraryProposal
from tests.api.conftest import KeyedClient
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory, SocialAccountFactory
from tests.html_tree import parse
from tests.listening.test_pan_vault import clear_pans_in_postgresql
from tests.security.auth import VerifiedClient

pytestmark = pytest.mark.django_db

VISA = "4111 1111 1111 1111"
MASTERCARD = "5555-5555-5555-4444"
TYPED = f"Her card {VISA}, the old one {MASTERCARD}."
DIGITS = ("4111111111111111", "5555555555554444")
MASKED = "•••• •••• •••• 1111, the old one ••••-••••-••••-4444."


def clear_cards_at_rest() -> list[str]:
    """Every place of the database where one of the card numbers is stored in clear: every text,
    varchar, JSON and tsvector column of every table (the listening tests' scan), and the sessions,
    decoded (a flash message quoting what was typed would be stored there, encoded)."""
    found = clear_pans_in_postgresql(*DIGITS)
    for session in Session.objects.all():
        digits = re.sub(r"[^0-9]", "", str(session.get_decoded()))
        if any(d in digits for d in DIGITS):
            found.append(f"django_session {session.pk} (decoded)")
    return found


def browser_for(user) -> VerifiedClient:
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _form_data(form) -> dict[str, object]:
    """What a browser sends of `form` untouched: its inputs' values, checked boxes, selected options."""
    data: dict[str, object] = {}
    for node in form.find_all():
        name = node.attrs.get("name")
        if not name or "disabled" in node.attrs:
            continue
        if node.tag == "input":
            kind = node.attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in node.attrs:
                continue
            if kind in ("submit", "button", "file"):
                continue
            value = node.attrs.get("value") or ("on" if kind == "checkbox" else "")
            if kind == "checkbox" and name in data:  # a group of boxes: every checked one
                previous = data[name]
                data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                data[name] = value
        elif node.tag == "textarea":
            data[name] = node.text()
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or [
                o for o in options if o.attrs.get("value")
            ][:1]
            data[name] = (
                [o.attrs.get("value") for o in chosen]
                if "multiple" in node.attrs
                else (chosen[0].attrs.get("value") if chosen else "")
            )
    return data


def _names(form) -> set[str]:
    return {node.attrs["name"] for node in form.find_all() if node.attrs.get("name")}


def submit(
    client,
    page: str,
    action: str,
    typed: dict[str, object],
    button: tuple[str, str] | None = None,
    *,
    refused: bool = False,
):
    """Open `page`, fill the form that posts to `action` with `typed`, and send it as the browser does
    (with the `button` pressed, a (name, value), where the form has several). `refused`: the page
    must say the card number is not accepted there (the reply guard of what customers are sent)."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    # A form without an action (or an empty one) posts to its own page.
    forms = [
        f
        for f in parse(response.content.decode()).find_all("form")
        if (f.attrs.get("action") or page) == action
    ]
    assert forms, f"{page} has no form posting to {action}"
    # The form with the fields typed into (the admin's page has its log-out form too).
    form = max(forms, key=lambda f: len(set(typed) & _names(f)))
    missing = set(typed) - _names(form)
    assert not missing, f"the form of {page} posting to {action} has no {missing}: {sorted(_names(form))}"
    data = _form_data(form)
    data.update(typed)
    if button:
        data[button[0]] = button[1]
    answer = client.post(action, data)
    # A form shown again with an error: the input was refused, not stored.
    shown = parse(answer.content.decode()) if answer.status_code != 302 else None
    found = shown.find_all(cls="errorlist") + shown.find_all(role="alert") if shown else []
    errors = [e.text() for e in found if e.text()]
    if refused:
        assert any("card number" in e for e in errors), (action, answer.status_code, errors)
        return answer
    assert answer.status_code in (200, 302, 303) and not errors, (action, answer.status_code, errors)
    return answer


@pytest.fixture
def scene():
    seed_now()
    agent = make_person("amira", roles.AGENT)
    lead = make_person("laura", roles.LEAD)
    specialist = make_person("carla", roles.SPECIALIST)
    admin = make_person("ada", roles.ADMIN, is_staff=True, is_superuser=True)
    cards = make_department("Cards", around_the_clock=True)
    cards.members.add(specialist)
    fraud = make_department("Fraud", around_the_clock=True)
    account = SocialAccountFactory()
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(
        customer=customer, account=account, status=Conversation.Status.OPEN, assignee=agent
    )
    MentionFactory(
        account=account,
        author=customer,
        thread_key=conversation.thread_key,
        intent="complaint",
        text="My card was declined again, this is useless",
    )
    return {
        "agent": agent,
        "lead": lead,
        "specialist": specialist,
        "admin": admin,
        "cards": cards,
        "fraud": fraud,
        "conversation": conversation,
        "account": account,
    }


def _escalation_paths(scene) -> Escalation:
    agent, specialist = browser_for(scene["agent"]), browser_for(scene["specialist"])
    conversation = scene["conversation"]
    escalate = reverse("escalations:escalate", args=[conversation.pk])
    submit(agent, escalate, escalate, {"question": TYPED, "department": str(scene["cards"].pk)})
    escalation = Escalation.objects.get(conversation=conversation)
    detail = reverse("escalations:detail", args=[escalation.pk])
    submit(specialist, detail, reverse("escalations:ask", args=[escalation.pk]), {"question": TYPED})
    escalation.refresh_from_db()
    assert escalation.info_request == f"Her card {MASKED}"
    give_info = reverse("escalations:give_info", args=[escalation.pk])
    # The experts' panel is in the customer card's lower part: its page without JavaScript.
    submit(agent, reverse("inbox:side", args=[conversation.pk]), give_info, {"text": TYPED})
    answer = reverse("escalations:answer", args=[escalation.pk])
    submit(specialist, detail, answer, {"answer": TYPED, "proposed_reply": TYPED})
    escalation.refresh_from_db()
    return escalation


def test_an_escalation_typed_through_its_pages_keeps_no_card_in_clear(scene):
    escalation = _escalation_paths(scene)

    assert escalation.question == escalation.answer == escalation.proposed_reply == f"Her card {MASKED}"
    # The question to the agent, the agent's information, the answer: each an event of the history.
    assert EscalationEvent.objects.filter(escalation=escalation, text__contains=MASKED).count() >= 3
    # What the agent and the expert see again is what is stored: the last four digits only.
    page = browser_for(scene["specialist"]).get(reverse("escalations:detail", args=[escalation.pk]))
    assert "•••• •••• •••• 1111" in page.content.decode()
    assert clear_cards_at_rest() == []


def _inbox_and_library_paths(scene) -> None:
    agent, lead = browser_for(scene["agent"]), browser_for(scene["lead"])
    conversation = scene["conversation"]
    inbox = reverse("inbox:detail", args=[conversation.pk])
    submit(agent, inbox, reverse("inbox:note_add", args=[conversation.pk]), {"text": TYPED})
    new_saved = reverse("inbox:saved_reply_new")
    submit(lead, new_saved, new_saved, {"title": TYPED[:100], "body": TYPED})


def test_notes_saved_replies_and_the_admin_keep_no_card_in_clear(scene):
    _inbox_and_library_paths(scene)
    saved = SavedReply.objects.get(body__startswith="Her card")
    edit = reverse("inbox:saved_reply_edit", args=[saved.pk])
    submit(browser_for(scene["lead"]), edit, edit, {"body": f"Edited: {TYPED}"})
    # The admin's change form (audited with the values before and after).
    regime = ComplaintRegime.objects.order_by("pk").first()
    change = reverse("admin:complaints_complaintregime_change", args=[regime.pk])
    submit(browser_for(scene["admin"]), change, change, {"description": TYPED})

    assert Note.objects.get().text == f"Her card {MASKED}"
    saved.refresh_from_db()
    assert (saved.title, saved.body) == (f"Her card {MASKED}", f"Edited: Her card {MASKED}")
    regime.refresh_from_db()
    assert regime.description == f"Her card {MASKED}"
    change_event = AuditEvent.objects.get(verb="admin.change", object_id=str(regime.pk))
    assert change_event.after["description"] == f"Her card {MASKED}"
    assert clear_cards_at_rest() == []


def test_the_api_and_the_bulk_paths_keep_no_card_in_clear(scene):
    _token, raw = api_token_create(actor=scene["agent"], name="CRM sync", scope="write", days=30)
    api = KeyedClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"conversation": scene["conversation"].pk, "department": scene["cards"].pk, "question": TYPED}
    response = api.post("/api/v1/escalations/", body, format="json")
    assert response.status_code == 201, response.content
    assert f"Her card {MASKED}" in response.content.decode()

    # The rules' escalations are written in one INSERT (inbox.services.insert_rows).
    other = ConversationFactory(status=Conversation.Status.OPEN)
    rule = escalation_services.routing_rule_save(
        actor=None, fields={"name": "Cards", "phrases": "declined", "department": scene["fraud"]}
    )
    opened = escalations_open_by_rules(
        wanted=[RuleEscalation(conversation=other, rule=rule, priority=2, question=TYPED)],
        now=dt.datetime.now(dt.UTC),
    )
    assert len(opened) == 1
    # An update in one statement, and a bulk update, go through the field too.
    Escalation.objects.filter(pk=opened[0]).update(answer=TYPED)
    escalation = Escalation.objects.get(pk=opened[0])
    escalation.proposed_reply = TYPED
    Escalation.objects.bulk_update([escalation], ["proposed_reply"])
    escalation.refresh_from_db()
    assert escalation.question.startswith("Her card •••• •••• •••• 1111")
    assert escalation.answer == escalation.proposed_reply == escalation.question
    assert clear_cards_at_rest() == []


def test_a_json_value_is_masked_on_every_write_of_the_orm_and_changed_after_a_save(scene):
    """A JSON field's value is checked once on a save or an INSERT (pre_save hands it straight on);
    the same dict changed afterwards, and saved or written by any path, is checked again."""
    from inbox.models import ConversationEvent

    conversation = scene["conversation"]
    payload = {"said": TYPED, "ids": [1, 2]}
    event = ConversationEvent.objects.create(
        conversation=conversation, kind="note", text="x", data=payload, version=1
    )
    assert type(event.data) is dict
    assert event.data["said"] == f"Her card {MASKED}"
    # The instance's own dict, changed in place: saved again, and written by an update.
    event.data["again"] = f"new card {VISA}"
    event.save()
    event.data["later"] = f"and {MASTERCARD}"
    ConversationEvent.objects.filter(pk=event.pk).update(data=event.data)
    ConversationEvent.objects.bulk_create(
        [ConversationEvent(conversation=conversation, kind="note", text="y", data=payload, version=2)]
    )
    # An expression saved as the value is left for the compiler, as before.
    event.data = F("data")
    event.save(update_fields=["data"])
    event.refresh_from_db()
    assert "later" in event.data
    stored = list(ConversationEvent.objects.filter(conversation=conversation).values_list("data", flat=True))
    assert any("later" in data for data in stored)
    assert clear_cards_at_rest() == []


def test_the_scan_finds_a_card_stored_in_clear(scene):
    """The scan itself: a column that is not masked (a message as fetched) is reported."""
    MentionFactory(text=f"raw {MASTERCARD}")
    assert "listening_mention.text" in clear_cards_at_rest()


def test_complaints_the_library_incidents_and_settings_keep_no_card_in_clear(scene):
    escalation = _escalation_paths(scene)
    agent, lead = browser_for(scene["agent"]), browser_for(scene["lead"])
    specialist = browser_for(scene["specialist"])
    conversation = scene["conversation"]
    # The complaint panel is in the customer card's lower part: its page without JavaScript.
    card = reverse("inbox:side", args=[conversation.pk])

    # Complaints: the complaint itself, the customer's vulnerability, an acknowledgement letter.
    submit(agent, card, reverse("complaints:confirm", args=[conversation.pk]), {"summary": TYPED[:60]})
    submit(
        agent,
        card,
        reverse("complaints:vulnerability", args=[conversation.pk]),
        {"note": TYPED, "drivers": ["health"]},
    )
    complaint = Complaint.objects.get()
    letter = reverse("complaints:letter", args=[complaint.pk]) + "?kind=acknowledgement"
    # (Sent as a private message it would be refused: the reply guard. By e-mail, it is recorded.)
    submit(agent, letter, letter, {"text": TYPED, "channel": "email"})
    # The library: the expert's answer proposed, a lead's reasons for not taking it; an article.
    detail = reverse("escalations:detail", args=[escalation.pk])
    submit(lead, detail, reverse("learning:propose", args=[escalation.pk]), {})
    proposal = reverse("learning:proposal", args=[LibraryProposal.objects.get().pk])
    # (Approving it as a saved reply is refused while it quotes a card: the reply guard.)
    submit(lead, proposal, proposal, {"comment": TYPED}, ("action", "reject"))
    article = reverse("learning:article_new")
    submit(
        lead,
        article,
        article,
        {
            "title": TYPED,
            "summary": TYPED,
            "url": "https://www.northbridge.example/help/cards",
            "review_by": "2030-01-01",
            "department": str(scene["cards"].pk),
        },
    )
    # Incidents: the incident, its status post and reply texts; a post of its own.
    new = reverse("incidents:new")
    submit(lead, new, new, {"name": TYPED[:100], "terms": TYPED, "networks": ["x"]})
    incident = Incident.objects.get()
    page = reverse("incidents:detail", args=[incident.pk])
    on = [str(scene["account"].pk)]
    submit(lead, page, reverse("incidents:status_post", args=[incident.pk]), {"text": TYPED, "accounts": on})
    submit(lead, page, reverse("incidents:replies", args=[incident.pk]), {"text": TYPED})
    post = reverse("incidents:post_new")
    submit(lead, post, post, {"text": TYPED, "accounts": on}, refused=True)
    # Escalations' settings (a department, a rule, a holiday) and a reason for closing one.
    department = reverse("escalations:department_new")
    submit(
        lead,
        department,
        department,
        {"name": "Card services", "description": TYPED, "work_days": ["0", "1", "2", "3", "4"]},
    )
    rule = reverse("escalations:rule_new")
    submit(lead, rule, rule, {"name": TYPED[:80], "phrases": TYPED, "department": str(scene["cards"].pk)})
    cards = reverse("escalations:department_edit", args=[scene["cards"].pk])
    holiday = reverse("escalations:holiday_add", args=[scene["cards"].pk])
    submit(lead, cards, holiday, {"name": TYPED[:80], "date": "2030-12-25"})
    submit(specialist, detail, reverse("escalations:close", args=[escalation.pk]), {"reason": TYPED})

    # Each input was taken (masked), not refused: the last four digits are where it was typed.
    stored = {
        (model.__name__, name): model.objects.filter(**{f"{name}__contains": "•••• •••• •••• 1111"}).count()
        for model, name in (
            (Complaint, "summary"),
            (Letter, "text"),
            (Vulnerability, "note"),
            (LibraryProposal, "decision_comment"),
            (AdviceArticle, "summary"),
            (Incident, "name"),
            (Incident, "reply_text"),
            (Department, "description"),
            (RoutingRule, "phrases"),
            (Holiday, "name"),
            (EscalationEvent, "text"),
        )
    }
    assert all(stored.values()), stored
    # A public post quoting a card is refused by the reply guard before anything is stored.
    assert not Post.objects.exists()
    assert clear_cards_at_rest() == []


def test_the_data_migrations_mask_what_was_stored_before(scene):
    """What was written before the fields masked it (here by SQL, past the ORM) is masked by them."""
    escalation = escalation_services.escalation_open(
        actor=scene["agent"], conversation=scene["conversation"], department=scene["cards"], question="Which?"
    )
    saved = SavedReply.objects.create(title="Card help", body="Sorry.")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE escalations_escalation SET answer = %s WHERE id = %s", [TYPED, escalation.pk])
        cursor.execute("UPDATE inbox_savedreply SET body = %s WHERE id = %s", [TYPED, saved.pk])
    assert {"escalations_escalation.answer", "inbox_savedreply.body"} <= set(clear_cards_at_rest())

    for name in (
        "escalations.migrations.0008_mask_stored_card_numbers",
        "inbox.migrations.0022_mask_stored_card_numbers",
    ):
        import_module(name).forwards(django_apps, None)

    escalation.refresh_from_db()
    saved.refresh_from_db()
    assert escalation.answer == saved.body == f"Her card {MASKED}"
    assert clear_cards_at_rest() == []


def test_the_audit_log_keeps_no_part_of_a_card_cut_at_its_length(scene):
    """The log keeps the first 300 characters of a step's text: cut after masking, not before."""
    question = "Please check this. " + "." * 270 + f" {VISA} thanks"
    assert question.index(VISA) < 300 < question.index(VISA) + len(VISA)
    escalation = escalation_services.escalation_open(
        actor=scene["agent"], conversation=scene["conversation"], department=scene["cards"], question="Which?"
    )
    escalation_services.escalation_request_info(
        actor=scene["specialist"], escalation=escalation, question=question
    )
    logged = [str(e.after) for e in AuditEvent.objects.filter(verb__startswith="escalation.")]
    assert logged and not any("4111" in text for text in logged)


def test_a_notice_or_a_thread_event_cut_at_its_length_keeps_no_part_of_a_card(scene):
    """Notifications keep 300 characters, a thread's events 300: masked first, then cut."""
    from bankbuzz.accounts.notifications import notify
    from inbox.services import conversation_event_record

    text = "Sent back: " + "." * 280 + f" {VISA} thanks"
    assert text.index(VISA) < 300 < text.index(VISA) + len(VISA)
    notify(recipients=[scene["agent"]], verb="reply.rejected", text=text, url="/inbox/")
    conversation_event_record(
        conversation=scene["conversation"], actor=scene["agent"], kind="escalation", text=text
    )
    assert clear_cards_at_rest() == []
    stored = [n.text for n in scene["agent"].notifications.all()]
    stored += list(scene["conversation"].events.values_list("text", flat=True))
    assert stored and not any("4111" in t for t in stored)


def test_two_names_that_differ_only_in_a_cards_digits_are_refused_as_a_duplicate(scene):
    """A unique name is stored masked, so two names that differ only in a card's hidden digits
    would be the same row: the department form says so, as for any duplicate, instead of failing."""
    admin = browser_for(scene["admin"])
    add = reverse("escalations:department_new")
    week = {"work_days": ["0", "1", "2", "3", "4"], "day_start": "09:00", "day_end": "17:00"}
    submit(admin, add, add, {"name": "Team 4111 1111 1111 1111", **week})
    page = parse(admin.get(add).content.decode())
    form = max(page.find_all("form"), key=lambda f: len({"name"} & _names(f)))
    data = {**_form_data(form), **week, "name": "Team 5500 0000 0008 1111"}
    answer = admin.post(add, data)

    assert answer.status_code == 200
    errors = [e.text() for e in parse(answer.content.decode()).find_all(cls="errorlist")]
    assert any("already exists" in e for e in errors), errors
    assert list(Department.objects.filter(name__startswith="Team").values_list("name", flat=True)) == [
        "Team •••• •••• •••• 1111"
    ]
    assert clear_cards_at_rest() == []


def test_staff_names_and_the_banks_accounts_keep_no_card_in_clear(scene):
    """Names people type in the admin: a colleague's name, the bank's account's handle and name."""
    admin = browser_for(scene["admin"])
    person = scene["agent"]
    change = reverse("admin:accounts_user_change", args=[person.pk])
    submit(admin, change, change, {"first_name": f"Amira {VISA}", "last_name": MASTERCARD})
    account = scene["account"]
    change = reverse("admin:listening_socialaccount_change", args=[account.pk])
    submit(admin, change, change, {"handle": f"bank-{DIGITS[0]}", "name": TYPED})

    person.refresh_from_db()
    account.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Amira •••• •••• •••• 1111", "••••-••••-••••-4444")
    assert account.handle == "bank-••••••••••••1111"
    assert account.name == f"Her card {MASKED}"
    # The users' list and the audit record of the change show the masked names.
    listing = admin.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "Amira •••• •••• •••• 1111" in listing and "4111" not in listing
    change_event = AuditEvent.objects.get(verb="admin.change", object_id=str(person.pk))
    assert change_event.after["first_name"] == "Amira •••• •••• •••• 1111"
    assert clear_cards_at_rest() == []


def test_the_names_migrations_mask_names_stored_before(scene):
    """Staff names and the bank's account names written in clear before (here by SQL): masked."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET last_name = %s WHERE id = %s", [VISA, scene["agent"].pk])
        cursor.execute(
            "UPDATE listening_socialaccount SET name = %s WHERE id = %s", [TYPED, scene["account"].pk]
        )
    assert {"accounts_user.last_name", "listening_socialaccount.name"} <= set(clear_cards_at_rest())

    for name in (
        "bankbuzz.accounts.migrations.0006_mask_stored_names",
        "listening.migrations.0020_mask_stored_names",
    ):
        import_module(name).forwards(django_apps, None)

    scene["agent"].refresh_from_db()
    scene["account"].refresh_from_db()
    assert scene["agent"].last_name == "•••• •••• •••• 1111"
    assert scene["account"].name == f"Her card {MASKED}"
    assert clear_cards_at_rest() == []
