"""Complaint pages and the conversation panel's actions. Each view checks the role, validates,
calls one service and renders (a partial for htmx) or redirects."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from bankbuzz.accounts import roles
from bankbuzz.audit.services import audit_record
from bankbuzz.jinja import render as render_partial
from complaints import letters, permissions, selectors, services
from complaints.models import AccountRegime, Category, Complaint, ComplaintRegime, Letter
from complaints.panels import panel_context
from inbox.permissions import conversation_for_user
from listening.models import SocialAccount


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _ints(values) -> list[int]:
    return [n for n in (_int(v) for v in values) if n is not None]


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _panel(request, conversation, *, error: str = "", notice: str = ""):
    if not request.headers.get("HX-Request"):
        # A plain form (the panels' own page, inbox/side.html): the outcome goes with the redirect.
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("inbox:detail", conversation.pk)
    context = {
        "conversation": conversation,
        **panel_context(request.user, conversation, error=error, notice=notice),
    }
    return render(request, "complaints/_panel.html", context, status=200)


# --- The conversation panel ------------------------------------------------------------------


@login_required
@require_POST
def confirm(request, pk: int):
    conversation = conversation_for_user(request.user, pk, write=True)
    permissions.work_access(request.user)
    try:
        services.complaint_confirm(
            actor=request.user,
            conversation=conversation,
            mention_ids=_ints(request.POST.getlist("mention")),
            product=_int(request.POST.get("product")),
            cause=_int(request.POST.get("cause")),
            summary=request.POST.get("summary", "")[:300],
        )
    except services.ComplaintError as exc:
        return _panel(request, conversation, error=str(exc))
    return _panel(request, conversation, notice="Recorded as a complaint: the clocks are running.")


@login_required
@require_POST
def dismiss(request, pk: int):
    conversation = conversation_for_user(request.user, pk, write=True)
    try:
        services.suggestion_dismiss(
            actor=request.user, conversation=conversation, reason=request.POST.get("reason", "")
        )
    except services.ComplaintError as exc:
        return _panel(request, conversation, error=str(exc))
    return _panel(request, conversation, notice="Dismissed: not a complaint.")


@login_required
@require_POST
def vulnerability(request, pk: int):
    conversation = conversation_for_user(request.user, pk)
    permissions.vulnerability_access(request.user, write=True)
    try:
        if request.POST.get("action") == "clear":
            services.vulnerability_clear(actor=request.user, customer=conversation.customer)
            notice = "Vulnerability flag removed."
        else:
            services.vulnerability_set(
                actor=request.user,
                customer=conversation.customer,
                drivers=request.POST.getlist("drivers"),
                note=request.POST.get("note", ""),
            )
            notice = "Vulnerability flag saved."
    except services.ComplaintError as exc:
        return _panel(request, conversation, error=str(exc))
    return _panel(request, conversation, notice=notice)


# --- The queue and a complaint's page -----------------------------------------------------------------

# The queue's rows are a Jinja2 partial (templates/jinja2/complaints/_queue_rows.html): 100 rows
# through Django's engine (an include, two `{% url %}` and three dates each) were most of the
# page's CPU (docs/benchmarks.md), as for the specialist queue.


def _queue_rows_html(request, rows) -> SafeString:
    from complaints.templatetags.complaint_tags import due_time, received_time

    printed: dict = {}

    def due(value):  # complaints received the same day share their due instants
        if value not in printed:
            printed[value] = due_time(value)
        return printed[value]

    context = {"rows": rows, "due_time": due, "received": received_time}
    return render_partial("complaints/_queue_rows.html", context, request)


@login_required
@require_GET
def queue(request):
    permissions.register_access(request.user)
    params = request.GET
    state = params.get("state") or "open"
    if state not in selectors.QUEUE_STATES:
        state = "open"
    filters = selectors.QueueFilters(
        state=state,
        regime=_int(params.get("regime")),
        product=_int(params.get("product")),
        cause=_int(params.get("cause")),
        start=_date(params.get("start")),
        end=_date(params.get("end")),
        met=params.get("met") if params.get("met") in selectors.MET else "",
        outcome=params.get("outcome") if params.get("outcome") in selectors.OUTCOMES else "",
    )
    if filters.start and filters.end:
        filters.start, filters.end = _period_of(filters.start, filters.end)
    else:
        filters.start = filters.end = None
    now = timezone.now()
    cal = services.calendar()
    suggested = []
    if state == "suggested":
        suggested = selectors.suggested_queue(user=request.user, limit=selectors.PAGE + 1)
        rows, more = [], len(suggested) > selectors.PAGE
        suggested = suggested[: selectors.PAGE]
    else:
        rows = list(
            selectors.complaint_queue(user=request.user, filters=filters, cal=cal, now=now)[
                : selectors.PAGE + 1
            ]
        )
        more = len(rows) > selectors.PAGE
        rows = rows[: selectors.PAGE]
    for complaint in rows:
        complaint.chips = selectors.chips(complaint, cal=cal, now=now)
    return render(
        request,
        "complaints/queue.html",
        {
            "rows": rows,
            "rows_html": _queue_rows_html(request, rows) if rows else "",
            "suggested": suggested,
            "more": more,
            "filter_query": urlencode(filters.params()),
            "drill_down": filters.describe(),
            "filters": filters,
            "states": selectors.QUEUE_STATES,
            "regimes": ComplaintRegime.objects.all(),
            "products": Category.objects.filter(kind=Category.Kind.PRODUCT),
            "causes": Category.objects.filter(kind=Category.Kind.CAUSE),
            "can_export": permissions.can_export(request.user),
            "can_set_regimes": roles.can_manage_accounts(request.user),
        },
    )


def _letter_kinds(complaint: Complaint) -> list[tuple[str, str]]:
    """The letters this complaint's regime and state allow."""
    kinds = [(Letter.Kind.ACKNOWLEDGEMENT.value, Letter.Kind.ACKNOWLEDGEMENT.label)]
    if complaint.summary_due_at:
        kinds.append((Letter.Kind.SUMMARY.value, Letter.Kind.SUMMARY.label))
    extended = (complaint.regime_snapshot or {}).get("extended") or [None]
    if extended[0] and not complaint.holding_reply_at:
        kinds.append((Letter.Kind.HOLDING.value, Letter.Kind.HOLDING.label))
    kinds.append((Letter.Kind.FINAL.value, Letter.Kind.FINAL.label))
    return kinds


def _pending_letters(complaint: Complaint) -> list[int]:
    return list(
        complaint.letters.filter(sent_at__isnull=True, reply__isnull=False).values_list("pk", flat=True)
    )


def _detail_context(request, complaint: Complaint, **extra) -> dict:
    now = timezone.now()
    cal = services.calendar()
    return {
        "complaint": complaint,
        "chips": selectors.chips(complaint, cal=cal, now=now),
        "letters": complaint.letters.select_related("created_by", "reply").all(),
        "can_work": permissions.can_work(request.user),
        "can_change_regime": permissions.can_change_regime(request.user) and complaint.is_open,
        "regimes": ComplaintRegime.objects.filter(is_active=True),
        "products": Category.objects.filter(kind=Category.Kind.PRODUCT, is_active=True),
        "causes": Category.objects.filter(kind=Category.Kind.CAUSE, is_active=True),
        "letter_kinds": _letter_kinds(complaint),
        "outcomes": Complaint.Outcome.choices[1:],
        **extra,
    }


@login_required
def detail(request, pk: int):
    complaint = permissions.complaint_for_user(request.user, pk)
    if services.letters_settle(letter_ids=_pending_letters(complaint)):
        complaint = permissions.complaint_for_user(request.user, pk)
    error = notice = ""
    if request.method == "POST":
        action = request.POST.get("action")
        seen = _int(request.POST.get("version"))
        try:
            if action == "categorise":
                services.complaint_categorise(
                    actor=request.user,
                    complaint=complaint,
                    product=_int(request.POST.get("product")),
                    cause=_int(request.POST.get("cause")),
                    summary=request.POST.get("summary", "")[:300],
                    seen_version=seen,
                )
                notice = "Categories saved."
            elif action == "regime":
                regime = ComplaintRegime.objects.filter(
                    pk=_int(request.POST.get("regime")), is_active=True
                ).first()
                if regime is None:
                    raise services.ComplaintError("Choose a regime from the list.")
                if not permissions.can_change_regime(request.user):
                    raise PermissionDenied("Only social leads move a complaint to another regime.")
                services.complaint_change_regime(
                    actor=request.user,
                    complaint=complaint,
                    regime=regime,
                    reason=request.POST.get("reason", ""),
                    seen_version=seen,
                )
                notice = f"Moved to {regime.name}: the clocks were computed again from the receipt."
            else:
                return HttpResponseBadRequest("Unknown action.")
        except services.ComplaintError as exc:
            error = str(exc)
        else:
            return redirect(reverse("complaints:detail", args=[complaint.pk]) + "?done=" + action)
        complaint = permissions.complaint_for_user(request.user, pk)
    done = request.GET.get("done")
    notice = notice or {
        "categorise": "Categories saved.",
        "regime": "Moved to another regime: the clocks were computed again from the receipt.",
        "letter": "Letter recorded.",
        "queued": "Letter handed to the outbox as a private message: it counts once it is sent.",
    }.get(done or "", "")
    return render(
        request, "complaints/detail.html", _detail_context(request, complaint, error=error, notice=notice)
    )


@login_required
def letter(request, pk: int):
    """?kind=acknowledgement|summary|holding|final: the letter's draft, edited and sent."""
    complaint = permissions.complaint_for_user(request.user, pk, write=True)
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    if kind not in Letter.Kind.values:
        return HttpResponseBadRequest("Choose which letter: acknowledgement, summary, holding or final.")
    error = ""
    text = request.POST.get("text") if request.method == "POST" else letters.draft(complaint, kind)
    channel = request.POST.get("channel", Letter.Channel.PRIVATE)
    if request.method == "POST":
        redress = None
        raw = (request.POST.get("redress") or "").strip()
        try:
            if raw:
                redress = Decimal(raw)
                if redress < 0 or redress >= Decimal("1e10"):
                    raise InvalidOperation
        except InvalidOperation:
            error = "The redress is an amount such as 25.00."
        if not error:
            try:
                sent = services.letter_send(
                    actor=request.user,
                    complaint=complaint,
                    kind=kind,
                    text=text or "",
                    channel=channel,
                    sent_on=_date(request.POST.get("sent_on")),
                    outcome=request.POST.get("outcome", ""),
                    redress=redress,
                    seen_version=_int(request.POST.get("version")),
                )
            except services.ComplaintError as exc:
                error = str(exc)
            else:
                done = "letter" if sent.is_sent else "queued"
                return redirect(reverse("complaints:detail", args=[complaint.pk]) + "?done=" + done)
    return render(
        request,
        "complaints/letter.html",
        {
            "complaint": complaint,
            "kind": kind,
            "kind_label": Letter.Kind(kind).label,
            "text": text,
            "channel": channel,
            "channels": Letter.Channel.choices,
            "outcomes": Complaint.Outcome.choices[1:],
            "needs_outcome": kind in (Letter.Kind.SUMMARY, Letter.Kind.FINAL),
            "today": timezone.localdate(),
            "error": error,
        },
        status=400 if error else 200,
    )


# --- Each connected account's default regime (leads and administrators) ----------------------------


@login_required
def account_regimes(request):
    """The regime new complaints received through each connected account are clocked under."""
    if not roles.can_manage_accounts(request.user):
        raise PermissionDenied("Only social leads and administrators choose an account's regime.")
    error = ""
    if request.method == "POST":
        account = SocialAccount.objects.filter(pk=_int(request.POST.get("account"))).first()
        regime = ComplaintRegime.objects.filter(pk=_int(request.POST.get("regime")), is_active=True).first()
        if account is None:
            error = "Choose one of the connected accounts."
        elif regime is None:
            error = "Choose a regime from the list."
        else:
            try:
                services.account_regime_set(actor=request.user, account=account, regime=regime)
            except services.ComplaintError as exc:
                error = str(exc)
            else:
                messages.success(
                    request,
                    f"New complaints through {account} are clocked under {regime.name}. "
                    "Open complaints keep their clocks.",
                )
                return redirect("complaints:regimes")
    elif request.method != "GET":
        return HttpResponseBadRequest("GET or POST only.")
    chosen = dict(AccountRegime.objects.values_list("account_id", "regime_id"))
    default = None
    try:
        default = services.default_regime(None)
    except services.ComplaintError:
        error = error or "No complaint regime is configured: ask an administrator to add one."
    accounts = list(SocialAccount.objects.order_by("network", "handle"))
    for account in accounts:
        account.regime_id = chosen.get(account.pk)
    return render(
        request,
        "complaints/regimes.html",
        {
            "accounts": accounts,
            "regimes": ComplaintRegime.objects.filter(is_active=True),
            "default": default,
            "error": error,
        },
        status=400 if error and request.method == "POST" else 200,
    )


# --- Reporting ----------------------------------------------------------------------------------


def _period(request) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = _date(request.GET.get("start")) or today.replace(day=1) - dt.timedelta(days=90)
    end = _date(request.GET.get("end")) or today
    return _period_of(start, end)


def _period_of(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    if end < start:
        start, end = end, start
    # Dates a person could mean (and no overflow at the end of the calendar).
    start = max(start, dt.date(2000, 1, 1))
    end = min(end, dt.date(2100, 12, 31))
    return start, max(start, end)


@login_required
@require_GET
def dashboard(request):
    permissions.register_access(request.user)
    start, end = _period(request)
    data = selectors.dashboard(start=start, end=end, now=timezone.now())
    return render(
        request, "complaints/dashboard.html", {**data, "can_export": permissions.can_export(request.user)}
    )


@login_required
@require_GET
def export(request):
    permissions.export_access(request.user)
    start, end = _period(request)
    rows = selectors.export_rows(
        user=request.user, start=start, end=end, cal=services.calendar(), now=timezone.now()
    )
    audit_record(
        actor=request.user,
        verb="complaint.export",
        object_type="complaints.export",
        object_id=f"{start}..{end}",
        object_repr=f"complaints return {start}..{end}",
        after={
            "rows": len(rows),
            "vulnerability": "shown" if permissions.can_see_vulnerability(request.user) else "masked",
        },
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="complaints-{start}-{end}.csv"'
    writer = csv.DictWriter(response, fieldnames=selectors.EXPORT_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return response
