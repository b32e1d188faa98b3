from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening import permissions, selectors, services
from listening.forms import CredentialsForm
from listening.models import Network, QuarantinedItem
from listening.sandbox.world import DEMO_TOKEN


@require_GET
def account_health(request):
    permissions.accounts_access(request.user)
    context = {"rows": selectors.account_health_rows()}
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
    return {"networks": networks, "url": settings.SANDBOX_URL, "token": DEMO_TOKEN}


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
        services.account_credentials_set(actor=request.user, account=account, credentials=form.cleaned_data)
        messages.success(request, "Credentials saved. They are encrypted and will not be shown again.")
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
