"""The compliance pages: search the audit log, export it with a hash chain."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bankbuzz.audit import selectors, services, story
from bankbuzz.audit.forms import AuditExportForm, AuditFilterForm
from bankbuzz.audit.permissions import audit_access


@never_cache
@require_GET
def log(request):
    audit_access(request.user)
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    page = selectors.audit_page(filters, cursor=request.GET.get("cursor", ""))
    story.with_changes(page.events)
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "people_only": filters.people_only,
            "export_form": AuditExportForm(initial=AuditExportForm.last_week()),
            "verbs": selectors.verbs(),
        },
    )


@never_cache
@require_GET
def export(request):
    """A download (GET, so a link or a form can ask for it); recorded as an `audit.export` event."""
    audit_access(request.user)
    form = AuditExportForm(request.GET)
    if not form.is_valid():
        page = selectors.audit_page(selectors.AuditFilters(people_only=True))
        story.with_changes(page.events)
        return render(
            request,
            "audit/log.html",
            {
                "form": AuditFilterForm(),
                "page": page,
                "params": "",
                "people_only": True,
                "export_form": form,
                "verbs": selectors.verbs(),
            },
            status=422,
        )
    start, end, fmt = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["format"]
    out, _trailer = services.audit_export(actor=request.user, start=start, end=end, fmt=fmt)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson; charset=utf-8"
    response = FileResponse(
        out, as_attachment=True, filename=f"bankbuzz-audit-{start}-{end}.{fmt}", content_type=content_type
    )
    return response
