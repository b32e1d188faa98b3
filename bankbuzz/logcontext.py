"""A request id and a user id on every log line, in the web process and in the tasks it queued.

`RequestIdMiddleware` takes `X-Request-ID` from a trusted proxy (`REQUEST_ID_TRUSTED_PROXIES`) or
makes one, and returns it in the response header. Tasks queued while it is set carry it in their
message headers (`before_task_publish`), and the worker puts it back around the task
(`task_prerun`), so one id follows a click from the load balancer to the network call.

Only ids go in: never a username, an e-mail address or a customer's words.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Task message headers (not task arguments: a task's signature stays the service's).
TASK_HEADER = "bankbuzz_request_id"
TASK_USER_HEADER = "bankbuzz_user_id"

access_logger = logging.getLogger("bankbuzz.access")

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
user_id_var: ContextVar[str] = ContextVar("user_id", default="")


class ContextFilter(logging.Filter):
    """Adds `request_id` and `user_id` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.user_id = user_id_var.get() or "-"
        return True


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.REQUEST_ID_TRUSTED_PROXIES)


def incoming_request_id(request) -> str:
    """The proxy's id when the proxy is trusted and the id looks like one; a new id otherwise."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if given and _VALID_ID.fullmatch(given) and _trusted(request.META.get("REMOTE_ADDR", "")):
        return given
    return uuid.uuid4().hex


def bind_user(user) -> None:
    """Called once the caller is known (a session in the middleware, a token in the API)."""
    if user is not None and getattr(user, "is_authenticated", False):
        user_id_var.set(str(user.pk))


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        request.request_id = incoming_request_id(request)
        request_id_var.set(request.request_id)
        user_id_var.set("")
        # Cleared at request_finished, not here: Django logs a 4xx/5xx after the middleware.
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        took = round((time.monotonic() - started) * 1000)
        # The access log: the path without its query string (search terms are personal data).
        access_logger.info(
            "%s %s %s %d ms",
            request.method,
            request.path,
            response.status_code,
            took,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": took,
            },
        )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After the authentication middleware: the session's user is known (a token's, later).
        user = getattr(request, "user", None)
        if user is not None:
            bind_user(user)
        return None


@receiver(request_finished)
def _clear_after_request(**kwargs) -> None:
    request_id_var.set("")
    user_id_var.set("")


# --- Celery: the id travels with the task ----------------------------------------------------------


@before_task_publish.connect
def _add_request_id(headers=None, **kwargs) -> None:
    if headers is None:
        return
    if request_id_var.get() and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id_var.get()
        headers[TASK_USER_HEADER] = user_id_var.get()


@task_prerun.connect
def _restore_request_id(task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    # A task beat sent has no request behind it: it gets an id of its own, for its own lines.
    request_id_var.set(getattr(request, TASK_HEADER, None) or f"task-{getattr(request, 'id', '')}")
    user_id_var.set(getattr(request, TASK_USER_HEADER, None) or "")


@task_postrun.connect
def _clear_request_id(**kwargs) -> None:
    request_id_var.set("")
    user_id_var.set("")
