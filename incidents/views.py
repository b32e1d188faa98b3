"""Views: check access (permissions.py), validate a form, call a service, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inbox.models import Conversation
from inbox.permissions import conversation_for_user
from incidents import forms, permissions, publishing, selectors, services
from incidents.models import Incident, Post
from listening.models import SpikeAlert, network_labels

THANKS = "Thank you for your patience."
FOLLOW_UP_REPLY = "Hi {customer_name}, it's fixed: the app works again. " + THANKS


def _errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(errs)}" if name in form.fields else " ".join(errs)
        for name, errs in form.errors.items()
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _detail(incident: Incident, anchor: str = "") -> str:
    return reverse("incidents:detail", args=[incident.pk]) + (f"#{anchor}" if anchor else "")


def _back(request, incident: Incident, anchor: str, error: str = ""):
    """Back to the incident's page at `anchor`, saying what went wrong if anything did."""
    if error:
        messages.error(request, error)
    return redirect(_detail(incident, anchor))


# --- Incidents ------------------------------------------------------------------------------------


@require_GET
def index(request):
    permissions.require_reader(request.user)
    return render(
        request,
        "incidents/index.html",
        {
            "incidents": selectors.incidents_list(),
            "spikes": SpikeAlert.objects.order_by("-started_at")[:5],
            "can_lead": services.can_lead(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def new(request):
    permissions.require_reader(request.user)
    if not services.can_lead(request.user):
        raise PermissionDenied("Only social leads open incidents.")
    spike = None
    if request.method == "POST":
        form = forms.IncidentForm(request.POST)
        if form.is_valid():
            if form.cleaned_data.get("spike"):
                spike = SpikeAlert.objects.filter(pk=form.cleaned_data["spike"]).first()
            try:
                incident = services.incident_open(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    terms=form.cleaned_data["terms"],
                    networks=form.cleaned_data["networks"],
                    spike=spike,
                )
            except services.IncidentError as exc:
                form.add_error(None, str(exc))
            else:
                size = incident.members.count()
                messages.success(
                    request, f"Incident opened: {size} open conversation{'s' if size != 1 else ''} match."
                )
                return redirect(_detail(incident))
    else:
        initial = {}
        spike_id = request.GET.get("spike", "")
        if spike_id.isdigit():
            spike = SpikeAlert.objects.filter(pk=int(spike_id)).first()
        if spike is not None:
            terms, networks = services.terms_from_spike(spike)
            initial = {
                "name": spike.title[:120],
                "terms": ", ".join(terms),
                "networks": networks,
                "spike": spike.pk,
            }
        form = forms.IncidentForm(initial=initial)
    return render(request, "incidents/new.html", {"form": form, "spike": spike})


@require_GET
def detail(request, pk: int):
    incident = permissions.incident_for_user(request.user, pk)
    show = request.GET.get("show", "all")
    show = show if show in selectors.SHOW else "all"
    network = request.GET.get("network", "")
    network = network if network in incident.networks else ""
    links = services.status_links(incident)
    status = services.status_post(incident)
    follow_up = services.status_post(incident, Post.Purpose.FOLLOW_UP)
    default_reply = (
        "Hi {customer_name}, thanks for telling us. We know about the problem and are working on it; "
        "the latest is here: {status_link}"
    )
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "report": selectors.incident_report(incident),
            "members": selectors.incident_members(incident, show=show, network=network),
            "show": show,
            "network": network,
            "network_label": network_labels([network])[0] if network else "",
            "status_post": status,
            "follow_up_post": follow_up,
            "posts": incident.posts.select_related("author")
            .prefetch_related("deliveries__account")
            .order_by("created_at"),
            "post_form": forms.PostForm(
                initial={
                    "accounts": [
                        a.pk for a in publishing.publishing_accounts() if a.network in incident.networks
                    ]
                }
            ),
            "reply_form": forms.ReplyTemplateForm(initial={"text": incident.reply_text or default_reply}),
            "resolve_form": forms.ResolveForm(
                initial={
                    "follow_up_text": FOLLOW_UP_REPLY,
                    "post_text": f"Resolved: {incident.name}. Everything works again. {THANKS}",
                    "accounts": [
                        a.pk for a in publishing.publishing_accounts() if a.network in incident.networks
                    ],
                }
            ),
            "member_form": forms.MemberForm(),
            "can_lead": services.can_lead(request.user),
            "can_work": services.can_work(request.user),
            "variables": services.VARIABLES,
            "links": list(zip(network_labels(links), links.values(), strict=True)),
        },
    )


@require_POST
def status_post(request, pk: int):
    incident = permissions.incident_for_user(request.user, pk)
    _require(publishing.can_write_posts(request.user), "Only social leads write the bank's posts.")
    form = forms.PostForm(request.POST)
    if not form.is_valid():
        return _back(request, incident, "status", f"Not sent for approval: {_errors(form)}")
    try:
        post = publishing.post_submit(
            actor=request.user,
            text=form.cleaned_data["text"],
            accounts=form.cleaned_data["accounts"],
            scheduled_for=form.cleaned_data.get("scheduled_for"),
            purpose=Post.Purpose.STATUS,
            incident=incident,
        )
    except publishing.PublishError as exc:
        return _back(request, incident, "status", str(exc))
    messages.success(request, "The status post waits for a second lead's approval.")
    return redirect(reverse("incidents:post", args=[post.pk]))


@require_POST
def replies(request, pk: int):
    incident = permissions.incident_for_user(request.user, pk)
    _require(services.can_lead(request.user), "Only social leads answer every conversation at once.")
    form = forms.ReplyTemplateForm(request.POST)
    if not form.is_valid():
        return _back(request, incident, "answer", f"Not sent: {_errors(form)}")
    try:
        services.incident_replies_prepare(
            actor=request.user, incident=incident, text=form.cleaned_data["text"]
        )
    except services.IncidentError as exc:
        return _back(request, incident, "answer", str(exc))
    messages.success(request, "The replies are going out, in batches within each network's limits.")
    return redirect(_detail(incident, "members"))


def _member_conversation(request, incident: Incident, pk) -> Conversation:
    return conversation_for_user(request.user, pk)


@require_POST
def member_add(request, pk: int):
    incident = permissions.incident_for_user(request.user, pk)
    _require(services.can_work(request.user), "Your role may read incidents but not change them.")
    form = forms.MemberForm(request.POST)
    if not form.is_valid():
        return _back(request, incident, "members", f"Not added: {_errors(form)}")
    if not Conversation.objects.filter(pk=form.cleaned_data["conversation"]).exists():
        return _back(
            request, incident, "members", f"There is no conversation {form.cleaned_data['conversation']}."
        )
    conversation = _member_conversation(request, incident, form.cleaned_data["conversation"])
    try:
        services.incident_conversation_add(actor=request.user, incident=incident, conversation=conversation)
    except services.IncidentError as exc:
        return _back(request, incident, "members", str(exc))
    messages.success(request, f"Conversation {conversation.pk} is in the incident.")
    return _back(request, incident, "members")


@require_POST
def member_remove(request, pk: int, conversation_id: int):
    incident = permissions.incident_for_user(request.user, pk)
    _require(services.can_work(request.user), "Your role may read incidents but not change them.")
    conversation = _member_conversation(request, incident, conversation_id)
    try:
        services.incident_conversation_remove(
            actor=request.user, incident=incident, conversation=conversation
        )
    except services.IncidentError as exc:
        return _back(request, incident, "members", str(exc))
    messages.success(request, f"Conversation {conversation.pk} is out of the incident.")
    return _back(request, incident, "members")


@require_POST
def resolve(request, pk: int):
    incident = permissions.incident_for_user(request.user, pk)
    _require(services.can_lead(request.user), "Only social leads resolve incidents.")
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        return _back(request, incident, "resolve", f"Not resolved: {_errors(form)}")
    data = form.cleaned_data
    try:
        if data["post_text"].strip():
            # Checked before resolving, so a refused post leaves the incident open.
            publishing._clean(text=data["post_text"], accounts=data["accounts"], scheduled_for=None)
        services.incident_resolve(
            actor=request.user, incident=incident, follow_up_text=data["follow_up_text"]
        )
        if data["post_text"].strip():
            publishing.post_submit(
                actor=request.user,
                text=data["post_text"],
                accounts=data["accounts"],
                purpose=Post.Purpose.FOLLOW_UP,
                incident=incident,
            )
    except (services.IncidentError, publishing.PublishError) as exc:
        return _back(request, incident, "resolve", str(exc))
    messages.success(
        request,
        "Resolved. The follow-up reply is going out and answered conversations are resolved; "
        "the follow-up post waits for a second lead's approval.",
    )
    return redirect(_detail(incident))


# --- Posts -------------------------------------------------------------------------------------------


@require_GET
def posts(request):
    if not publishing.can_read_posts(request.user):
        raise PermissionDenied("Your role does not include the bank's posts.")
    return render(
        request,
        "incidents/posts.html",
        {**selectors.calendar(), "can_write": publishing.can_write_posts(request.user)},
    )


def _post_form_page(request, *, post: Post | None):
    if not publishing.can_write_posts(request.user):
        raise PermissionDenied("Only social leads write the bank's posts.")
    previews = []
    if request.method == "POST":
        form = forms.PostForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            previews = publishing.post_preview(text=data["text"], accounts=data["accounts"])
            if "preview" not in request.POST:
                try:
                    if post is None:
                        post = publishing.post_submit(
                            actor=request.user,
                            text=data["text"],
                            accounts=data["accounts"],
                            scheduled_for=data.get("scheduled_for"),
                        )
                        messages.success(
                            request, "Sent for approval: a second lead approves it before it goes out."
                        )
                    else:
                        post = publishing.post_edit(
                            actor=request.user,
                            post=post,
                            text=data["text"],
                            accounts=data["accounts"],
                            scheduled_for=data.get("scheduled_for"),
                        )
                        messages.success(request, "Changed: it waits for a second lead's approval again.")
                except publishing.PublishError as exc:
                    form.add_error(None, str(exc))
                else:
                    return redirect(reverse("incidents:post", args=[post.pk]))
    elif post is not None:
        form = forms.PostForm(
            initial={
                "text": post.text,
                "accounts": [d.account_id for d in post.deliveries.all()],
                "scheduled_for": post.scheduled_for,
            }
        )
    else:
        form = forms.PostForm()
    return render(request, "incidents/post_form.html", {"form": form, "post": post, "previews": previews})


@require_http_methods(["GET", "POST"])
def post_new(request):
    return _post_form_page(request, post=None)


@require_http_methods(["GET", "POST"])
def post_edit(request, pk: int):
    post = permissions.post_for_user(request.user, pk)
    return _post_form_page(request, post=post)


@require_GET
def post_detail(request, pk: int):
    post = permissions.post_for_user(request.user, pk)
    user = request.user
    return render(
        request,
        "incidents/post.html",
        {
            "post": post,
            "deliveries": post.deliveries.select_related("account").order_by("account__network"),
            "previews": publishing.post_preview(
                text=post.text, accounts=[d.account for d in post.deliveries.all()]
            ),
            "can_decide": publishing.can_approve_posts(user)
            and post.author_id != user.pk
            and post.state == Post.State.AWAITING_APPROVAL,
            "can_change": post.state in Post.CHANGEABLE
            and (post.author_id == user.pk or publishing.can_approve_posts(user)),
            "is_author": post.author_id == user.pk,
            "decision_form": forms.DecisionForm(),
        },
    )


def _approve(user, post: Post, comment: str) -> str:
    post = publishing.post_approve(actor=user, post=post, comment=comment)
    if post.scheduled_for and post.state == Post.State.SCHEDULED:
        return "Approved: it goes out at the scheduled time."
    return "Approved: the post is on its way."


def _reject(user, post: Post, comment: str) -> str:
    publishing.post_reject(actor=user, post=post, comment=comment)
    return "Sent back to its author with your comment."


def _withdraw(user, post: Post, comment: str) -> str:
    publishing.post_withdraw(actor=user, post=post)
    return "Withdrawn: nothing was published."


# A lead's decision on a post, by the URL it came through (urls.py names each one).
DECISIONS = {"approve": _approve, "reject": _reject, "withdraw": _withdraw}


@require_POST
def post_decide(request, pk: int, decision: str):
    post = permissions.post_for_user(request.user, pk)
    _require(publishing.can_approve_posts(request.user), "Only social leads decide on the bank's posts.")
    form = forms.DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        message = DECISIONS[decision](request.user, post, comment)
    except publishing.PublishError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect(reverse("incidents:post", args=[post.pk]))


@require_POST
def delivery_retry(request, pk: int, delivery_id: int):
    post = permissions.post_for_user(request.user, pk)
    _require(publishing.can_write_posts(request.user), "Only social leads publish the bank's posts.")
    delivery = get_object_or_404(post.deliveries, pk=delivery_id)
    try:
        publishing.delivery_retry(actor=request.user, delivery=delivery)
    except publishing.PublishError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Trying again.")
    return redirect(reverse("incidents:post", args=[post.pk]))
