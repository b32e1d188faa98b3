from bankbuzz.audit.context import client_address


class AuditContextMiddleware:
    """Remembers the client address of the request for `audit_record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_address.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            client_address.reset(token)
