"""The advice library's pages, and the record of a suggestion inserted while replying."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from bankbuzz.fields import BoundedDateField
from escalations.models import Department
from inbox.models import SavedReply
from inbox.reply_services import can_manage_saved_replies
from inbox.services import InboxError
from learning import digest, edits, experiments, forms, permissions, proposals, selectors, services
from learning.models import Experiment, LibraryProposal


@require_http_methods(["GET"])
def library(request):
    permissions.library_access(request.user)
    department_id = request.GET.get("department") or ""
    department_id = int(department_id) if department_id.isdigit() and len(department_id) < 10 else None
    rows = selectors.library_rows(department_id=department_id)
    return render(
        request,
        "learning/library.html",
        {
            **rows,
            "departments": Department.objects.order_by("name"),
            "department_id": department_id,
            "can_manage": permissions.can_manage_library(request.user),
            "managed_ids": set(permissions.managed_departments(request.user).values_list("pk", flat=True)),
            "can_edit_saved": can_manage_saved_replies(request.user),
            "proposals_waiting": LibraryProposal.objects.filter(state=LibraryProposal.State.DRAFT).count()
            if can_manage_saved_replies(request.user)
            else 0,
            "second_message_min": selectors.SECOND_MESSAGE_MIN,
            "second_message_share": round(selectors.SECOND_MESSAGE_SHARE * 100),
        },
    )


def _article_form_view(request, article):
    departments = permissions.managed_departments(request.user)
    if request.method == "POST":
        form = forms.ArticleForm(request.POST, departments=departments)
        if form.is_valid():
            try:
                if article is None:
                    article = services.article_create(actor=request.user, fields=form.cleaned_data)
                else:
                    article = services.article_update(
                        actor=request.user, article=article, fields=form.cleaned_data
                    )
            except services.LearningError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Saved “{article.title}”.")
                return redirect("learning:library")
    elif article is not None:
        form = forms.ArticleForm(
            initial={
                "title": article.title,
                "url": article.url,
                "summary": article.summary,
                "topics": ", ".join(article.topics),
                "department": article.department_id,
                "review_by": article.review_by,
                "is_active": article.is_active,
            },
            departments=departments,
        )
    else:
        form = forms.ArticleForm(departments=departments)
    status = 422 if request.method == "POST" else 200
    return render(request, "learning/article_edit.html", {"form": form, "article": article}, status=status)


@require_http_methods(["GET", "POST"])
def article_new(request):
    permissions.library_manage_access(request.user)
    return _article_form_view(request, None)


@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int):
    article = permissions.article_for_manager(request.user, pk)
    return _article_form_view(request, article)


def _record_use(request, **place):
    form = forms.SuggestionUseForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "Not recorded: which suggestion was it?"}, status=400)
    try:
        services.suggestion_use_record(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            entry_id=form.cleaned_data["entry"],
            rank=form.cleaned_data["rank"],
            **place,
        )
    except services.LearningError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return HttpResponse(status=204)


@require_POST
def use_conversation(request, pk: int):
    conversation = permissions.conversation_for_suggestions(request.user, pk)
    return _record_use(request, conversation=conversation)


@require_POST
def use_escalation(request, pk: int):
    escalation = permissions.escalation_for_suggestions(request.user, pk)
    return _record_use(request, escalation=escalation)


@require_POST
def propose(request, pk: int):
    escalation = permissions.escalation_for_proposing(request.user, pk)
    try:
        proposal = proposals.proposal_create(actor=request.user, escalation=escalation)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Proposed for the library: “{proposal.title}” waits for a social lead.")
    return redirect("escalations:detail", pk=escalation.pk)


@require_http_methods(["GET"])
def proposals_list(request):
    permissions.proposals_access(request.user)
    rows = LibraryProposal.objects.select_related("expert", "proposed_by", "escalation__department")
    return render(
        request,
        "learning/proposals.html",
        {
            "waiting": rows.filter(state=LibraryProposal.State.DRAFT).order_by("created_at"),
            "decided": rows.exclude(state=LibraryProposal.State.DRAFT).order_by("-decided_at")[:30],
        },
    )


@require_http_methods(["GET", "POST"])
def proposal(request, pk: int):
    item = permissions.proposal_for_lead(request.user, pk)
    form = forms.ProposalForm(
        initial={"title": item.title, "body": item.body, "tags": ", ".join(item.tags)},
    )
    reject_form = forms.RejectForm()
    status = 200
    if request.method == "POST" and request.POST.get("action") == "reject":
        reject_form = forms.RejectForm(request.POST)
        if reject_form.is_valid():
            try:
                proposals.proposal_reject(
                    actor=request.user, proposal=item, comment=reject_form.cleaned_data["comment"]
                )
            except services.LearningError as exc:
                reject_form.add_error(None, str(exc))
            else:
                messages.success(request, "Not taken; the expert can see why.")
                return redirect("learning:proposals")
        status = 422
    elif request.method == "POST":
        form = forms.ProposalForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                proposals.proposal_approve(
                    actor=request.user,
                    proposal=item,
                    title=data["title"],
                    body=data["body"],
                    shortcut=data["shortcut"],
                    tags=data["tags"],
                )
            except (services.LearningError, InboxError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"“{data['title']}” joined the saved replies.")
                return redirect("learning:library")
        item.refresh_from_db()
        status = 422
    return render(
        request,
        "learning/proposal.html",
        {"proposal": item, "form": form, "reject_form": reject_form},
        status=status,
    )


def _saved_for_lead(user, pk: int) -> SavedReply:
    permissions.proposals_access(user)  # saved replies are the social leads'
    saved = SavedReply.objects.filter(pk=pk).first()
    if saved is None:
        raise Http404
    return saved


@require_http_methods(["GET"])
def saved_edits(request, pk: int):
    saved = _saved_for_lead(request.user, pk)
    return render(
        request,
        "learning/saved_edits.html",
        {
            "saved": saved,
            "edits": edits.common_edits(saved),
            "versions": saved.versions.select_related("created_by"),
        },
    )


@require_POST
def adopt_edit(request, pk: int):
    saved = _saved_for_lead(request.user, pk)
    try:
        version = edits.edit_adopt(actor=request.user, saved=saved, text=request.POST.get("text", "")[:10000])
    except (services.LearningError, InboxError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"“{saved.title}” now reads as the adopted edit (version {version.number})."
        )
    return redirect("learning:saved_edits", pk=saved.pk)


@require_http_methods(["GET", "POST"])
def experiments_list(request):
    permissions.proposals_access(request.user)  # experiments change saved replies: social leads
    form = forms.ExperimentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                experiment = experiments.experiment_start(
                    actor=request.user,
                    topic=data["topic"],
                    control=data["control"],
                    variant=data["variant"],
                    ends_at=timezone.now() + dt.timedelta(days=data["days"]),
                )
            except services.LearningError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Experiment on “{experiment.topic}” started.")
                return redirect("learning:experiment", pk=experiment.pk)
        status = 422
    rows = Experiment.objects.select_related("control", "variant", "winner").order_by("-created_at")[:50]
    return render(request, "learning/experiments.html", {"form": form, "experiments": rows}, status=status)


@require_http_methods(["GET", "POST"])
def experiment(request, pk: int):
    permissions.proposals_access(request.user)
    item = Experiment.objects.select_related("control", "variant", "winner").filter(pk=pk).first()
    if item is None:
        raise Http404
    if request.method == "POST":
        form = forms.ExperimentEndForm(request.POST)
        keep = None
        if form.is_valid() and form.cleaned_data["keep"]:
            keep = SavedReply.objects.filter(pk=form.cleaned_data["keep"]).first()
        try:
            experiments.experiment_end(actor=request.user, experiment=item, keep=keep)
        except (services.LearningError, InboxError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Experiment ended; the kept version stays on, the other is off.")
        return redirect("learning:experiment", pk=item.pk)
    found = experiments.results(item)
    return render(
        request,
        "learning/experiment.html",
        {"experiment": item, **found, "min_followed": experiments.MIN_FOLLOWED},
    )


@require_http_methods(["GET"])
def digest_page(request):
    if not digest.can_read_digest(request.user):
        raise PermissionDenied
    start, end = digest.last_week()
    asked = request.GET.get("week", "")
    try:
        day = BoundedDateField(required=False).clean(asked)
    except ValidationError as exc:
        messages.error(request, f"{exc.messages[0]} Showing last week.")
        day = None
    if day is not None:
        start, end = digest.week_of(day)
    context = digest.digest(request.user, digest.Period(start, end))
    context["previous_week"] = start - dt.timedelta(days=7)
    context["next_week"] = start + dt.timedelta(days=7) if end < timezone.localdate() else None
    return render(request, "learning/digest.html", context)
