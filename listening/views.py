from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bankbuzz.network_versions import configured_versions, network_version
from listening import insights as insights_selectors
from listening import permissions, selectors, services, tokens, x_costs
from listening.avatars import SIGNATURES
from listening.forms import CredentialsForm, ListeningQueryForm, XBudgetForm
from listening.models import AuthorAvatar, Network, QuarantinedItem, XBudget
from listening.query import services as query_services


@require_GET
def account_health(request):
    permissions.accounts_access(request.user)
    context = {
        "rows": selectors.account_health_rows(),
        "version_warnings": [v.warning for v in configured_versions() if v.warning],
    }
    if settings.DEBUG:
        context["sandbox"] = _sandbox_panel()
    return render(request, "listening/accounts.html", context)


def _sandbox_panel() -> dict:
    try:
        active = services.sandbox_scenarios_active()
    except services.SandboxUnavailable as exc:
        return {"error": str(exc)}
    everywhere = active.get("all", [])
    networks = []
    for network, label in Network.choices:
        on = set(active.get(network, [])) | set(everywhere)
        networks.append(
            {
                "network": network,
                "label": label,
                "scenarios": [
                    {"name": name, "label": title, "on": name in on}
                    for name, title in services.SANDBOX_SCENARIOS.items()
                ],
            }
        )
    return {"networks": networks, "url": settings.SANDBOX_URL, "token": services.sandbox_token()}


@require_POST
def sandbox_scenario(request):
    """DEBUG only: switch a sandbox scenario, so a person trying BankBuzz can see each account state."""
    if not settings.DEBUG:
        raise Http404("No sandbox outside development")
    permissions.accounts_access(request.user)
    try:
        services.sandbox_scenario_set(
            actor=request.user,
            network=request.POST.get("network", ""),
            name=request.POST.get("name", ""),
            on=request.POST.get("on") == "1",
        )
    except ValueError:
        return HttpResponseBadRequest("Unknown network or scenario")
    except services.SandboxUnavailable as exc:
        messages.error(request, f"Could not switch the scenario: {exc}.")
    else:
        messages.success(
            request, "Sandbox scenario switched. The next poll (within a poll interval) shows it."
        )
    return redirect(f"{reverse('listening:accounts')}#sandbox-title")


@require_http_methods(["GET", "POST"])
def account_detail(request, pk: int):
    account = permissions.account_for_user(request.user, pk)
    form = CredentialsForm(request.POST if request.method == "POST" else None, network=account.network)
    if request.method == "POST" and form.is_valid():
        if any(form.credentials().values()):
            services.account_credentials_set(
                actor=request.user, account=account, credentials=form.credentials()
            )
        if form.cleaned_data.get("token_expires_on"):
            tokens.account_token_expiry_set(
                actor=request.user, account=account, expires_on=form.cleaned_data["token_expires_on"]
            )
        messages.success(request, "Saved. Credentials are encrypted and will not be shown again.")
        return redirect("listening:account", pk=account.pk)
    quarantine = None
    if permissions.can_see_quarantine(request.user):
        quarantine = QuarantinedItem.objects.filter(account=account).order_by("-created_at")[:50]
    return render(
        request,
        "listening/account.html",
        {
            "account": account,
            "form": form,
            "quarantine": quarantine,
            "next_poll_at": selectors.next_poll_at(account),
            "api_version": network_version(account.network),
            "x_spend": x_costs.account_spend(account),
            "token": tokens.token_status(account),
            "budget_form": _budget_form(account),
        },
    )


@require_POST
def account_test_connection(request, pk: int):
    account = permissions.account_for_user(request.user, pk)
    checks = services.account_test_connection(actor=request.user, account=account)
    return render(request, "listening/_connection_checks.html", {"checks": checks, "account": account})


@require_POST
def quarantined_item_reprocess(request, account_pk: int, pk: int):
    item = permissions.quarantined_item_for_user(request.user, account_pk, pk)
    outcome = services.quarantined_item_reprocess(actor=request.user, item=item)
    level = (
        messages.success
        if outcome.status in ("stored", "already_stored", "nothing_to_store")
        else (messages.warning)
    )
    level(request, f"Quarantined item {item.external_id or item.pk}: {outcome.detail}")
    return redirect(f"{reverse('listening:account', args=[account_pk])}#quarantine-title")


@require_POST
def account_x_budget(request, pk: int):
    account = permissions.account_for_user(request.user, pk)
    if account.network != "x":
        raise Http404("Only X is billed per use")
    form = XBudgetForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, f"Budget not saved: {errors}")
        return redirect(f"{reverse('listening:account', args=[account.pk])}#budget-title")
    x_costs.budget_set(actor=request.user, account=account, **form.cleaned_data)
    x_costs.budget_check(account=account)
    messages.success(request, "Budget saved. It applies to this month's spend already.")
    return redirect(f"{reverse('listening:account', args=[account.pk])}#budget-title")


@require_POST
def account_retweets(request, pk: int):
    account = permissions.account_for_user(request.user, pk)
    if account.network != "x":
        raise Http404("Only X accounts have retweets")
    include = request.POST.get("include_retweets") == "1"
    services.account_retweets_set(actor=request.user, account=account, include_retweets=include)
    messages.success(
        request,
        "Retweets will be stored from the next poll on."
        if include
        else "Retweets will be left out from the next poll on.",
    )
    return redirect("listening:account", pk=account.pk)


# --- Listening insights, queries and alerts ------------------------------------------------


def _insights_context(request, query):
    data = insights_selectors.insights(query, range_key=request.GET.get("range"))
    return {
        "insights": data,
        "charts": data.charts(),
        "ranges": insights_selectors.RANGES.values(),
        "open_alert": insights_selectors.open_alert(),
        "can_manage_queries": permissions.can_manage_queries(request.user),
    }


@require_GET
def listening_index(request):
    permissions.insights_access(request.user)
    context = _insights_context(request, None)
    context["rows"] = insights_selectors.query_rows()
    return render(request, "listening/index.html", context)


@require_GET
def query_detail(request, pk: int):
    query = permissions.query_for_user(request.user, pk)
    context = _insights_context(request, query)
    context["query"] = query
    context["alerts"], _ = insights_selectors.alerts_page(query_id=query.pk)
    return render(request, "listening/query_detail.html", context)


@require_http_methods(["GET", "POST"])
def query_create(request):
    permissions.queries_manage(request.user)
    form = ListeningQueryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        query = query_services.query_create(actor=request.user, **form.cleaned_data)
        messages.success(request, f"Query “{query.name}” saved: it matched the last 7 days of stored posts.")
        return redirect("listening:query", pk=query.pk)
    return render(request, "listening/query_form.html", {"form": form, "query": None})


@require_http_methods(["GET", "POST"])
def query_edit(request, pk: int):
    query = permissions.query_for_user(request.user, pk, write=True)
    initial = {name: getattr(query, name) for name in ListeningQueryForm.base_fields}
    form = ListeningQueryForm(request.POST or None, instance=query, initial=initial)
    if request.method == "POST" and form.is_valid():
        query_services.query_update(actor=request.user, query=query, **form.cleaned_data)
        messages.success(request, f"Query “{form.cleaned_data['name']}” saved.")
        return redirect("listening:query", pk=query.pk)
    return render(request, "listening/query_form.html", {"form": form, "query": query})


@require_POST
def query_preview(request):
    """htmx: the query run over the last 7 days of stored posts, or the mistake in it."""
    permissions.queries_manage(request.user)
    text = request.POST.get("text", "")[:2000]
    networks = [n for n in request.POST.getlist("networks") if n in Network.values]
    try:
        preview = query_services.query_preview(text=text, networks=networks)
    except query_services.QueryInvalid as exc:
        return render(request, "listening/_preview.html", {"error": exc})
    return render(request, "listening/_preview.html", {"preview": preview})


@require_GET
def alerts(request):
    permissions.insights_access(request.user)
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    rows, next_before = insights_selectors.alerts_page(before=before)
    return render(request, "listening/alerts.html", {"alerts": rows, "next_before": next_before})


# A year: the URL changes with the picture (?v=<sha256>), so a cached copy is never stale.
AVATAR_MAX_AGE = 365 * 24 * 60 * 60


@require_GET
def author_avatar(request, pk: int):
    """Our stored copy of a customer's avatar (listening/avatars.py), from our own origin."""
    permissions.avatar_access(request.user)
    avatar = (
        AuthorAvatar.objects.filter(author_id=pk, status=AuthorAvatar.Status.OK)
        .only("content_type", "data", "sha256")
        .first()
    )
    if avatar is None or avatar.content_type not in SIGNATURES:
        raise Http404("No avatar")
    response = HttpResponse(bytes(avatar.data), content_type=avatar.content_type)
    # Private: an avatar is personal data, no shared cache keeps it.
    response["Cache-Control"] = f"private, max-age={AVATAR_MAX_AGE}, immutable"
    response["ETag"] = f'"{avatar.sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = 'inline; filename="avatar"'
    return response


def _budget_form(account) -> XBudgetForm | None:
    if account.network != "x":
        return None
    budget = XBudget.objects.filter(account=account).first()
    initial = (
        {
            "monthly_budget": budget.monthly_budget,
            "at_limit": budget.at_limit,
            "slow_interval": budget.slow_interval,
        }
        if budget
        else {"at_limit": "slow", "slow_interval": 900}
    )
    return XBudgetForm(initial=initial)
