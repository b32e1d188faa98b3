from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening import permissions, selectors, services
from listening.forms import CredentialsForm
from listening.models import QuarantinedItem


@require_GET
def account_health(request):
    permissions.accounts_access(request.user)
    return render(request, "listening/accounts.html", {"rows": selectors.account_health_rows()})


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
