"""The audit export over the API: the compliance page's hash-chained export, for compliance officers
(and administrators, as on the page: `bankbuzz.audit.permissions.audit_access`)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from bankbuzz.api.common import ApiViewSet
from bankbuzz.audit import services
from bankbuzz.audit.export import FORMATS
from bankbuzz.audit.forms import AuditExportForm
from bankbuzz.audit.permissions import audit_access

CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


class AuditExportViewSet(ApiViewSet):
    """Whole days in the bank's time zone; each row hash-chained to the one before, the last line
    carries the head hash; the export itself is recorded in the audit log (`manage.py audit_verify`)."""

    def perform_content_negotiation(self, request, force=False):
        # `format` is the export's format (as on the audit page), not DRF's renderer override;
        # errors answer JSON, the export itself is a file.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True),
            OpenApiParameter("format", str, OpenApiParameter.QUERY, required=True, enum=list(FORMATS)),
        ],
        responses={(200, CONTENT_TYPES[f]): OpenApiTypes.STR for f in FORMATS},
    )
    def list(self, request):
        audit_access(request.user)
        form = AuditExportForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        start, end, fmt = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["format"]
        out, _trailer = services.audit_export(actor=request.user, start=start, end=end, fmt=fmt)
        return FileResponse(
            out,
            as_attachment=True,
            filename=f"bankbuzz-audit-{start}-{end}.{fmt}",
            content_type=f"{CONTENT_TYPES[fmt]}; charset=utf-8",
        )


ROUTES = [("audit/export", AuditExportViewSet, "audit-export")]
