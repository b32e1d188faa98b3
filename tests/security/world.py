"""One small organisation with an object behind every URL parameter, and a person per persona.

Shared by the security tests: the URL walk, the hostile-content tests and the log test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import Client

from bankbuzz.accounts import roles
from bankbuzz.accounts.notifications import notify
from bankbuzz.api.tokens import api_token_create
from bankbuzz.audit.erasure import erasure_request_create
from bankbuzz.audit.retention import legal_hold_place
from escalations import services as escalation_services
from inbox import services as inbox_services
from inbox.models import Conversation, SavedReply
from incidents.models import Incident, Post, PostDelivery
from learning.models import AdviceArticle, Experiment, LibraryProposal
from listening.avatars import avatar_store
from listening.models import ListeningQuery, QuarantinedItem
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import TINY_PNG, AuthorFactory, ConversationFactory, MentionFactory, SocialAccountFactory
from tests.security.auth import verified_session_for

# Persona keys, in the order the tests walk them.
PERSONAS = (
    "agent",
    "lead",
    "specialist_a",  # Cards: the department of the escalation below
    "specialist_b",  # Fraud: another department
    "manager",
    "compliance",
    "admin",
    "outsider",  # logged in, no role
    "anonymous",
)


@dataclass
class World:
    people: dict[str, object] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def client_for(self, persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            verified_session_for(client, self.people[persona])
        return client


def build_world() -> World:
    world = World()
    people = world.people
    people["agent"] = make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    people["lead"] = make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")
    people["manager"] = make_person("maria", roles.MANAGER)
    people["compliance"] = make_person("chris", roles.COMPLIANCE)
    people["admin"] = make_person("ada", roles.ADMIN, is_staff=True, is_superuser=True)
    people["outsider"] = make_person("olly", None)
    cards = make_department("Cards")
    fraud = make_department("Fraud", around_the_clock=True)
    people["specialist_a"] = make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes")
    people["specialist_b"] = make_person("fred", roles.SPECIALIST, first_name="Fred", last_name="Olsen")
    cards.members.add(people["specialist_a"])
    fraud.members.add(people["specialist_b"])

    account = SocialAccountFactory()
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe", avatar_url="https://pbs.example/jane.png")
    avatar_store(author=customer, url=customer.avatar_url, content_type="image/png", data=TINY_PNG)
    conversation = ConversationFactory(
        customer=customer, account=account, status=Conversation.Status.OPEN, assignee=people["agent"]
    )
    mention = MentionFactory(
        account=account,
        author=customer,
        thread_key=conversation.thread_key,
        text="My card 4111 1111 1111 1111 was declined, help!",
    )
    tag = inbox_services.conversation_tag_add(actor=people["agent"], conversation=conversation, name="cards")
    escalation = escalation_services.escalation_open(
        actor=people["agent"], conversation=conversation, department=cards, question="Why was it declined?"
    )
    holiday = escalation_services.holiday_add(actor=None, department=cards, date=dt.date(2030, 12, 25))
    rule = escalation_services.routing_rule_save(
        actor=people["lead"], fields={"name": "Card trouble", "phrases": "declined", "department": cards}
    )
    quarantined = QuarantinedItem.objects.create(
        account=account, stream="mentions", reason="bad json", raw={}
    )
    query = ListeningQuery.objects.create(name="Brand", text='"northbridge bank"', networks=["x"])
    (notification,) = notify(
        recipients=[people["agent"]], verb="test", text="Hello", url="/inbox/", email=False
    )
    world.objects.update(_work_in_progress(conversation, people))
    api_token, _raw = api_token_create(actor=people["agent"], name="CRM sync", scope="read", days=30)
    legal_hold = legal_hold_place(
        actor=people["compliance"],
        target_key="conversation",
        reference=str(conversation.pk),
        reason="FOS case",
    )
    other_customer = AuthorFactory(handle="erased_person")
    erasure_request = erasure_request_create(actor=people["compliance"], author_id=other_customer.pk)
    article = AdviceArticle.objects.create(
        title="Why was my card declined?",
        url="https://www.northbridge.example/help/cards/declined",
        summary="Not enough money, a security check, an expired card or a wrong PIN.",
        department=cards,
        review_by=dt.date(2030, 1, 1),
    )
    proposal = LibraryProposal.objects.create(
        escalation=escalation, title="Cards: declined", body="Hi {customer_name}, try again now."
    )
    experiment = Experiment.objects.create(
        topic="cards",
        control=world.objects["saved_reply"],
        variant=SavedReply.objects.create(title="Card declined, v2", body="Sorry, {customer_name}."),
        ends_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    incident = Incident.objects.create(
        name="App outage", terms=["app down"], networks=["x"], opened_by=people["lead"]
    )
    post = Post.objects.create(text="We are on it.", author=people["lead"], incident=incident)
    post_delivery = PostDelivery.objects.create(post=post, account=account)
    world.objects.update(_complaint(conversation, mention, people))
    world.objects.update(
        incident=incident,
        post=post,
        post_delivery=post_delivery,
        experiment=experiment,
        article=article,
        proposal=proposal,
        account=account,
        customer=customer,
        conversation=conversation,
        mention=mention,
        tag=tag,
        cards=cards,
        fraud=fraud,
        escalation=escalation,
        holiday=holiday,
        rule=rule,
        quarantined=quarantined,
        notification=notification,
        query=query,
        api_token=api_token,
        legal_hold=legal_hold,
        erasure_request=erasure_request,
    )
    return world


def _complaint(conversation, mention, people) -> dict[str, object]:
    from complaints import services as complaint_services
    from complaints.seed import seed_now

    seed_now()  # a flushed database has lost the migration's regimes
    complaint = complaint_services.complaint_confirm(
        actor=people["agent"], conversation=conversation, mention_ids=[mention.pk]
    )
    return {"complaint": complaint}


def _work_in_progress(conversation, people) -> dict[str, object]:
    """Objects of models other engineers are still building; absent until their models land."""
    found: dict[str, object] = {}
    try:
        from inbox.models import Reply, SavedReply
    except ImportError:
        return found
    try:
        found["reply"] = Reply.objects.create(
            conversation=conversation,
            author=people["agent"],
            channel=Reply.Channel.values[0],
            text="We are looking into it.",
            state=getattr(Reply.State, "AWAITING_APPROVAL", Reply.State.DRAFT),
        )
        found["saved_reply"] = SavedReply.objects.create(
            title="Card declined", body="Sorry, {customer_name}!", created_by=people["lead"]
        )
    except (TypeError, ValueError, AttributeError) as exc:  # their fields changed: say so, do not hide it
        found.pop("reply", None)
        print(f"tests/security/world.py: could not make work-in-progress objects: {exc!r}")
    return found
