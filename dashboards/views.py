"""Dashboard pages. Each view asks `permissions.dashboard_scope` first, then reads via `report`
and `selectors`; nothing here writes. The permission check reads the primary; the figures and
exports after it read the read replica when one is configured (`replica_reads`,
bankbuzz/dbrouter.py)."""

from __future__ import annotations

import csv
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bankbuzz.dbrouter import replica_reads
from dashboards import drilldown, forms, report
from dashboards.permissions import Scope, dashboard_scope
from escalations.models import Department
from inbox.selectors import inbox_workers
from listening import x_costs
from listening.models import SocialAccount


def _scoped(view):
    """The view with the user's scope (checked on the primary), its reads on the replica."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        scope = dashboard_scope(request.user)
        with replica_reads():
            return view(request, scope, *args, **kwargs)

    return checked


def _filter_form(request, scope: Scope) -> forms.FilterForm:
    departments = Department.objects.order_by("name")
    if scope.department_ids is not None:
        departments = departments.filter(pk__in=scope.department_ids)
    form = forms.FilterForm(
        request.GET or None,
        accounts=SocialAccount.objects.order_by("network", "handle") if scope.team else (),
        departments=list(departments),
        agents=list(inbox_workers()) if scope.team else (),
        scope=scope,
    )
    form.is_valid()
    return form


@never_cache
@require_GET
@_scoped
def index(request, scope: Scope):
    form = _filter_form(request, scope)
    filters = form.filters()
    dashboard = report.build(user=request.user, scope=scope, filters=filters)
    others = {k: v for k, v in filters.params().items() if k not in ("range", "from", "to")}
    presets = [
        (key, label, "?" + urlencode({"range": key, **others}), filters.preset == key)
        for key, label in forms.PRESETS[:-1]
    ]
    return render(
        request,
        "dashboards/index.html",
        {
            "form": form,
            "filters": filters,
            "dashboard": dashboard,
            "charts": dashboard.charts(),
            "params_query": urlencode(filters.params()),
            "presets": presets,
            "time_zone": settings.TIME_ZONE,
            "x_spend": x_costs.spend_summary(),
        },
    )


class _Echo:
    def write(self, value):
        return value


# Cells starting with these are formulas to a spreadsheet; social content must never run as one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_response(filename: str, header: list[str], lines) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(header)
        for line in lines:
            yield writer.writerow([_safe(v) for v in line])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stamp(filters: forms.Filters) -> str:
    return f"{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"


@never_cache
@require_GET
@_scoped
def export(request, scope: Scope, key: str):
    """One table of the dashboard as CSV, with the same filters (raw seconds for durations)."""
    filters = _filter_form(request, scope).filters()
    dashboard = report.build(user=request.user, scope=scope, filters=filters)
    table = dashboard.tables().get(key)
    if table is None:
        raise Http404("No such table")
    return _csv_response(
        f"bankbuzz-{key}-{_stamp(filters)}.csv", table.columns, ([c.csv for c in row] for row in table.rows)
    )


@never_cache
@require_GET
@_scoped
def rows_page(request, scope: Scope):
    """The rows behind one number: the same filters plus the number's own (metric and dims)."""
    form = _filter_form(request, scope)
    filters = form.filters()
    try:
        spec = drilldown.RowSpec.from_params(request.GET)
    except drilldown.BadDimension as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    if spec is None:
        raise Http404("No such figure")
    page = drilldown.page(spec, filters, scope, cursor=request.GET.get("cursor"))
    params = request.GET.copy()
    params.pop("cursor", None)
    return render(
        request,
        "dashboards/rows.html",
        {
            "spec": spec,
            "filters": filters,
            "page": page,
            "title": drilldown.describe(spec, filters),
            "params": params.urlencode(),
            "back": reverse("dashboards:index") + "?" + _dashboard_params(filters),
            "now": timezone.now(),
        },
    )


def _dashboard_params(filters: forms.Filters) -> str:
    return urlencode(filters.params())


@never_cache
@require_GET
@_scoped
def rows_export(request, scope: Scope):
    filters = _filter_form(request, scope).filters()
    try:
        spec = drilldown.RowSpec.from_params(request.GET)
    except drilldown.BadDimension as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    if spec is None:
        raise Http404("No such figure")
    header, lines = drilldown.csv_rows(spec, filters, scope)
    return _csv_response(f"bankbuzz-{spec.metric}-{_stamp(filters)}.csv", header, lines)
