"""Demo complaints (called by demo_seed after the conversation history).

The history's conversations whose messages the understanding layer labelled complaint or fraud
are suggested in the inbox; a few of them are confirmed here, categorised, one acknowledged and
one customer flagged as potentially vulnerable, so the queue, the clocks and the dashboard have
something to show. Idempotent: nothing is added once the demo has complaints.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone

from bankbuzz.accounts.models import User
from complaints import services
from complaints.models import AccountRegime, Category, Complaint, ComplaintRegime
from complaints.seed import seed_now
from inbox.models import Conversation
from listening.models import Mention, SocialAccount

CONFIRMED = 4
# Words of a message -> (product, cause) of the demo's categorisation.
KEYWORDS = [
    (("fraud", "scam", "stolen", "authoris"), ("Debit card", "Fraud, scams and unauthorised transactions")),
    (("declined", "card"), ("Debit card", "Payment or transaction errors")),
    (("app", "down", "login", "outage"), ("Mobile and online banking", "Systems and app outages")),
    (("fee", "charge", "interest"), ("Current account", "Fees, charges and interest")),
    (("mortgage",), ("Mortgage", "Service and delays")),
]


def _categories(text: str) -> tuple[int | None, int | None]:
    lowered = text.lower()
    for words, (product, cause) in KEYWORDS:
        if any(w in lowered for w in words):
            return (
                Category.objects.filter(kind="product", name=product).values_list("pk", flat=True).first(),
                Category.objects.filter(kind="cause", name=cause).values_list("pk", flat=True).first(),
            )
    return None, Category.objects.filter(kind="cause", name="Service and delays").values_list(
        "pk", flat=True
    ).first()


def seed_complaints() -> int:
    seed_now()
    disp = ComplaintRegime.objects.get(code="uk-disp")
    for account in SocialAccount.objects.all():
        AccountRegime.objects.get_or_create(account=account, defaults={"regime": disp})
    if Complaint.objects.exists():
        return 0
    agent = User.objects.filter(username="agent").first()
    if agent is None:
        return 0
    labelled = Mention.objects.filter(
        network=OuterRef("network"),
        thread_key=OuterRef("thread_key"),
        author_id=OuterRef("customer_id"),
        direction=Mention.Direction.IN,
        intent__in=services.SUGGESTING_INTENTS,
    )
    candidates = list(
        Conversation.objects.filter(Exists(labelled))
        .exclude(status=Conversation.Status.SPAM)
        .select_related("customer", "account")
        .order_by("-last_activity_at")[: CONFIRMED * 3]
    )
    # Every other one is confirmed; the rest stay suggested in the inbox.
    confirmed = 0
    for conversation in candidates[::2][:CONFIRMED]:
        first = services.suggested_messages(conversation).first()
        if first is None:
            continue
        product, cause = _categories(first.text)
        try:
            complaint = services.complaint_confirm(
                actor=agent,
                conversation=conversation,
                product=product,
                cause=cause,
                summary=first.masked_text[:120],
            )
        except services.ComplaintError:
            continue
        confirmed += 1
        if confirmed == 1:
            services.letter_send(
                actor=agent,
                complaint=complaint,
                kind="acknowledgement",
                channel="email",
                text="Acknowledgement sent from the complaints mailbox.",
                sent_on=timezone.localdate(),
            )
        if confirmed == 2 and conversation.customer_id:
            services.vulnerability_set(
                actor=agent,
                customer=conversation.customer,
                drivers=["life_events"],
                note="Mentioned a recent bereavement: offer a named contact.",
            )
    return confirmed
