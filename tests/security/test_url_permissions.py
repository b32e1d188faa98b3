"""Every URL pattern of the project, walked with every persona, against the table below.

The table is the access policy in one place. A URL added without a row here fails
`test_every_url_pattern_has_a_row`, so nobody can add a page and forget to decide who sees it.

- "allowed": the persona gets neither 403 nor 404 nor a login redirect (a 400 for an empty
  form, a 409 for a stale action, a redirect back with a message all count as allowed).
- everyone else is denied: 403 or 404; anonymous visitors are sent to a login page.
- "hidden": personas who must get exactly 404, not 403 (another department's objects).
- A denied request leaves no trace in the audit log: nothing changed.

Each request runs in a savepoint that is rolled back, so a lead deleting a tag does not turn
the admin's request into a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bankbuzz.audit.models import AuditEvent
from tests.security.world import PERSONAS, build_world

pytestmark = pytest.mark.django_db

LOGGED_IN = frozenset(PERSONAS) - {"anonymous"}
EVERYONE = frozenset(PERSONAS)
READERS = frozenset({"agent", "lead", "manager", "compliance", "admin"})
WRITERS = frozenset({"agent", "lead"})
LEAD_ADMIN = frozenset({"lead", "admin"})
SPECIALISTS = frozenset({"specialist_a", "specialist_b"})
CARDS_EXPERT = frozenset({"specialist_a"})
OTHER_DEPARTMENT = frozenset({"specialist_b"})
ADMIN_ONLY = frozenset({"admin"})
COMPLIANCE_READERS = frozenset({"compliance", "admin"})


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    hidden: frozenset[str] = frozenset()
    kwargs: tuple[tuple[str, str], ...] = ()  # URL parameter -> world object (its pk)
    xfail: str = ""  # a known gap, reported to the app's owner; strict, so a fix is noticed
    query: str = ""  # a query string the page needs to show anything
    debug: bool = False  # a DEBUG-only page (404 otherwise)


def rule(allowed, hidden=frozenset(), xfail="", query="", debug=False, **kwargs) -> Rule:
    return Rule(frozenset(allowed), frozenset(hidden), tuple(sorted(kwargs.items())), xfail, query, debug)


CONV = {"pk": "conversation"}
ESC = {"pk": "escalation"}
DEPT = {"pk": "cards"}

TABLE: dict[str, Rule] = {
    "home": rule(LOGGED_IN),
    "healthz": rule(EVERYONE),
    # Prometheus' bearer token, never a person's session: see NO_SESSION_OK.
    "metrics": rule(()),
    "healthz_live": rule(EVERYONE),
    "healthz_ready": rule(EVERYONE),
    # accounts: login, logout and the person's own things
    "accounts:login": rule(EVERYONE),
    "accounts:logout": rule(EVERYONE),  # sends everyone to the login page: see LOGIN_REDIRECT_OK
    "accounts:profile": rule(LOGGED_IN),
    # the second factor: a verified session is sent on; the QR code exists only while enrolling
    "accounts:verify": rule(LOGGED_IN),
    "accounts:setup": rule(LOGGED_IN),
    "accounts:setup_qr": rule(()),
    "accounts:recovery_codes": rule(LOGGED_IN),
    "accounts:notifications": rule(LOGGED_IN),
    "accounts:notification_badge": rule(LOGGED_IN),
    "accounts:notification_read_all": rule(LOGGED_IN),
    # scoped to the recipient: someone else's notification id marks nothing and leads home
    "accounts:notification_open": rule(LOGGED_IN, pk="notification"),
    # the audit log
    "audit:log": rule(COMPLIANCE_READERS),
    "audit:export": rule(COMPLIANCE_READERS),
    # retention (read by compliance, changed by administrators: the POST is in tests/compliance),
    # legal holds and erasure requests
    "audit:retention": rule(COMPLIANCE_READERS),
    "audit:holds": rule(COMPLIANCE_READERS),
    "audit:hold_new": rule(COMPLIANCE_READERS),
    "audit:hold_lift": rule(COMPLIANCE_READERS, pk="legal_hold"),
    "audit:erasures": rule(COMPLIANCE_READERS),
    "audit:erasure_new": rule(COMPLIANCE_READERS),
    "audit:erasure": rule(COMPLIANCE_READERS, pk="erasure_request"),
    "audit:erasure_download": rule(COMPLIANCE_READERS, pk="erasure_request"),
    # inbox
    "inbox:list": rule(READERS),
    "inbox:poll": rule(READERS),
    "inbox:bulk": rule(WRITERS),
    "inbox:tags": rule({"lead"}),
    "inbox:tag_rename": rule({"lead"}, tag_pk="tag"),
    "inbox:tag_delete": rule({"lead"}, tag_pk="tag"),
    "inbox:detail": rule(READERS, **CONV),
    "inbox:live": rule(READERS, **CONV),
    "inbox:side": rule(READERS, **CONV),
    "inbox:claim": rule(WRITERS, **CONV),
    "inbox:assign": rule(WRITERS, **CONV),
    "inbox:status": rule(WRITERS, **CONV),
    "inbox:priority": rule(WRITERS, **CONV),
    "inbox:tag_add": rule(WRITERS, **CONV),
    "inbox:tag_remove": rule(WRITERS, tag_pk="tag", **CONV),
    "inbox:note_add": rule(WRITERS, **CONV),
    "inbox:customer_link": rule(WRITERS, **CONV),
    "inbox:unmask": rule(WRITERS, mention_pk="mention", **CONV),
    "inbox:hide": rule(WRITERS, mention_pk="mention", **CONV),
    "inbox:unhide": rule(WRITERS, mention_pk="mention", **CONV),
    "inbox:delete_reply": rule(WRITERS, mention_pk="mention", **CONV),
    "inbox:label": rule(WRITERS, mention_pk="mention", **CONV),
    "inbox:reply": rule(WRITERS, **CONV),
    "inbox:reply_retry": rule(WRITERS, reply_pk="reply"),
    "inbox:reply_withdraw": rule(WRITERS, reply_pk="reply"),
    # leads approve replies; compliance officers approve personal-data overrides
    "inbox:approvals": rule({"lead", "compliance"}),
    "inbox:reply_approve": rule({"lead", "compliance"}, reply_pk="reply"),
    "inbox:reply_reject": rule({"lead", "compliance"}, reply_pk="reply"),
    "inbox:saved_replies": rule({"lead"}),
    "inbox:saved_reply_new": rule({"lead"}),
    "inbox:saved_reply_edit": rule({"lead"}, saved_pk="saved_reply"),
    "inbox:saved_reply_delete": rule({"lead"}, saved_pk="saved_reply"),
    # listening: insights for inbox readers, queries written by leads and administrators
    "listening:index": rule(READERS),
    "listening:alerts": rule(READERS),
    # a customer's avatar, our stored copy: shown where the inbox shows the customer
    "listening:avatar": rule(READERS, pk="customer"),
    "listening:query": rule(READERS, pk="query"),
    "listening:query_create": rule(LEAD_ADMIN),
    "listening:query_edit": rule(LEAD_ADMIN, pk="query"),
    "listening:query_preview": rule(LEAD_ADMIN),
    # listening: connected accounts
    "listening:accounts": rule(LEAD_ADMIN),
    "listening:account": rule(LEAD_ADMIN, pk="account"),
    "listening:sandbox_scenario": rule(LEAD_ADMIN, debug=True),
    "listening:account_test": rule(LEAD_ADMIN, pk="account"),
    "listening:account_retweets": rule(LEAD_ADMIN, pk="account"),
    "listening:account_x_budget": rule(LEAD_ADMIN, pk="account"),
    "listening:quarantine_reprocess": rule(ADMIN_ONLY, account_pk="account", pk="quarantined"),
    # escalations: the Cards escalation is another department's for specialist_b -> 404
    "escalations:queue": rule(READERS | SPECIALISTS),
    "escalations:detail": rule(READERS | CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:claim": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:answer": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:ask": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:transfer": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:close": rule(WRITERS | CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "escalations:give_info": rule(WRITERS, OTHER_DEPARTMENT, **ESC),
    "escalations:escalate": rule(WRITERS, conversation_pk="conversation"),
    "escalations:conversation": rule(READERS | CARDS_EXPERT, OTHER_DEPARTMENT, **CONV),
    "escalations:departments": rule(READERS | SPECIALISTS),
    "escalations:department_new": rule(LEAD_ADMIN),
    "escalations:department_edit": rule(LEAD_ADMIN, **DEPT),
    "escalations:department_sla": rule(LEAD_ADMIN, **DEPT),
    "escalations:holiday_add": rule(LEAD_ADMIN, **DEPT),
    "escalations:holiday_remove": rule(LEAD_ADMIN, holiday_pk="holiday", **DEPT),
    "escalations:rules": rule(LEAD_ADMIN),
    "escalations:rule_new": rule(LEAD_ADMIN),
    "escalations:rule_edit": rule(LEAD_ADMIN, pk="rule"),
    "escalations:rule_delete": rule(LEAD_ADMIN, pk="rule"),
    # the advice library: everyone reads it; social leads (and department leads, for their own
    # department: tests/learning) manage it; a suggestion is recorded by whoever may write there
    "learning:library": rule(READERS | SPECIALISTS),
    "learning:article_new": rule({"lead"}),
    "learning:article_edit": rule({"lead"}, pk="article"),
    "learning:use_conversation": rule(WRITERS, **CONV),
    "learning:use_escalation": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    # an answer is proposed by the social team or the department's leads; social leads approve
    "learning:propose": rule(WRITERS, OTHER_DEPARTMENT, **ESC),
    "learning:proposals": rule({"lead"}),
    "learning:digest": rule({"lead"}),  # and department leads (tests/learning/test_digest.py)
    "learning:experiments": rule({"lead"}),
    "learning:experiment": rule({"lead"}, pk="experiment"),
    "learning:saved_edits": rule({"lead"}, pk="saved_reply"),
    "learning:adopt_edit": rule({"lead"}, pk="saved_reply"),
    "learning:proposal": rule({"lead"}, pk="proposal"),
    # incidents and publishing: read by the inbox's readers; leads open, publish, answer in bulk and
    # resolve; whoever works the inbox adds or takes out a conversation
    "incidents:index": rule(READERS),
    "incidents:new": rule({"lead"}),
    "incidents:detail": rule(READERS, pk="incident"),
    "incidents:status_post": rule({"lead"}, pk="incident"),
    "incidents:replies": rule({"lead"}, pk="incident"),
    "incidents:member_add": rule(WRITERS, pk="incident"),
    "incidents:member_remove": rule(WRITERS, pk="incident", conversation_id="conversation"),
    "incidents:resolve": rule({"lead"}, pk="incident"),
    "incidents:posts": rule(READERS),
    "incidents:post_new": rule({"lead"}),
    "incidents:post": rule(READERS, pk="post"),
    "incidents:post_edit": rule({"lead"}, pk="post"),
    "incidents:post_approve": rule({"lead"}, pk="post"),
    "incidents:post_reject": rule({"lead"}, pk="post"),
    "incidents:post_withdraw": rule({"lead"}, pk="post"),
    "incidents:delivery_retry": rule({"lead"}, pk="post", delivery_id="post_delivery"),
    # complaints: the social team works them; managers, compliance and admins read the register;
    # exports for leads, managers and compliance (vulnerability masked for managers)
    "complaints:queue": rule(READERS),
    "complaints:dashboard": rule(READERS),
    "complaints:export": rule({"lead", "manager", "compliance"}),
    "complaints:regimes": rule(LEAD_ADMIN),
    "complaints:detail": rule(READERS, pk="complaint"),
    "complaints:letter": rule(WRITERS, pk="complaint", query="kind=acknowledgement"),
    "complaints:confirm": rule(WRITERS, **CONV),
    "complaints:dismiss": rule(WRITERS, **CONV),
    "complaints:vulnerability": rule(WRITERS, **CONV),
    # dashboards: everyone with work to measure (agents and specialists see their own scope)
    "dashboards:index": rule(READERS | SPECIALISTS),
    "dashboards:export": rule(READERS | SPECIALISTS, key="__table__"),
    "dashboards:rows": rule(READERS | SPECIALISTS, query="metric=escalations"),
    "dashboards:rows_export": rule(READERS | SPECIALISTS, query="metric=escalations"),
    # the REST API (walked with the browser's verified session; tokens: tests/api). Anonymous
    # callers get 401, not the login page (see API_UNAUTHORIZED_OK).
    "api:me-list": rule(LOGGED_IN),
    "api:schema": rule(LOGGED_IN),
    "api:docs": rule(LOGGED_IN),
    "api:token_create": rule(LOGGED_IN),  # an empty form: back to the profile with a message
    # A token is its owner's (the agent's): everyone else is told it does not exist.
    "api:token_revoke": rule({"agent"}, LOGGED_IN - {"agent"}, pk="api_token"),
    "api:not_found": rule((), EVERYONE),
    "api:conversation-list": rule(READERS),
    "api:conversation-detail": rule(READERS, **CONV),
    "api:conversation-claim": rule(WRITERS, **CONV),
    "api:conversation-assign": rule(WRITERS, **CONV),
    "api:conversation-status": rule(WRITERS, **CONV),
    "api:conversation-priority": rule(WRITERS, **CONV),
    "api:conversation-tag-add": rule(WRITERS, **CONV),
    "api:conversation-untag": rule(WRITERS, **CONV),
    "api:conversation-notes": rule(WRITERS, **CONV),
    "api:conversation-reply": rule(WRITERS, **CONV),
    "api:reply-detail": rule(READERS, pk="reply"),
    "api:reply-withdraw": rule(WRITERS, pk="reply"),
    "api:saved-reply-list": rule(WRITERS),
    "api:tag-list": rule(READERS),
    "api:tag-detail": rule(READERS, pk="tag"),
    "api:mention-list": rule(READERS),
    "api:mention-detail": rule(READERS, pk="mention"),
    "api:escalation-list": rule(READERS | SPECIALISTS),
    "api:escalation-detail": rule(READERS | CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-claim": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-answer": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-ask": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-transfer": rule(CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-close": rule(WRITERS | CARDS_EXPERT, OTHER_DEPARTMENT, **ESC),
    "api:escalation-give-info": rule(WRITERS, OTHER_DEPARTMENT, **ESC),
    "api:department-list": rule(READERS | SPECIALISTS),
    "api:department-detail": rule(READERS | SPECIALISTS, **DEPT),
    "api:dashboard-list": rule(READERS | SPECIALISTS),
    "api:complaint-list": rule(READERS),
    "api:complaint-detail": rule(READERS, pk="complaint"),
    "api:complaint-letters": rule(WRITERS, pk="complaint"),
    "api:incident-list": rule(READERS),
    "api:incident-detail": rule(READERS, pk="incident"),
    "api:audit-export-list": rule(COMPLIANCE_READERS, query="start=2030-01-01&end=2030-01-02&format=jsonl"),
}

# The REST API answers an anonymous caller 401 (with WWW-Authenticate), not the HTML login page.
API_UNAUTHORIZED_OK = "api:"

# Read by a machine with its own bearer token (METRICS_TOKEN; unset here, so the endpoint does not
# exist): no session of any role opens it, and an anonymous caller gets 404, not the login page.
# Its token rules are in tests/bankbuzz/test_metrics.py.
NO_SESSION_OK = {"metrics"}

# Pages whose answer to everyone is the login page (logging out).
LOGIN_REDIRECT_OK = {"accounts:logout"}

# Patterns with no name cannot be reversed; each is accounted for here.
UNNAMED = {
    "admin/(?P<url>.*)$": "the admin's catch-all (redirects or 404s inside admin_view)",
}
# The admin: the administrator only; everyone else is sent to the admin's login page. The
# administrator may still get 403 where a model refuses a change (the append-only audit log) or
# 404 (view_on_site of a model without a page): `test_admin_changelists_open_for_the_admin`
# checks that the admin works at all.
ADMIN_PUBLIC = {"admin:login": EVERYONE}


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield (f"{namespace}{pattern.name}" if pattern.name else "", route)


ALL_PATTERNS = sorted(set(_patterns(get_resolver())))
NAMED = sorted({name for name, _ in ALL_PATTERNS if name})


def test_every_url_pattern_has_a_row():
    unnamed = {route for name, route in ALL_PATTERNS if not name}
    # The admin's per-object redirect (admin/<app>/<model>/<id>/ -> .../change/) has no name.
    unnamed = {route for route in unnamed if not route.endswith("<path:object_id>/")}
    assert unnamed <= set(UNNAMED), f"unnamed URL patterns nobody decided about: {unnamed - set(UNNAMED)}"
    missing = [name for name in NAMED if not name.startswith("admin:") and name not in TABLE]
    assert not missing, f"URL patterns without a row in TABLE: {missing}"
    # A row may come before its URL (another app's work in progress): it is skipped until then.


def _admin_kwargs(name: str) -> dict[str, str] | None:
    short = name.removeprefix("admin:")
    if short == "app_list":
        return {"app_label": "accounts"}
    if short == "view_on_site":
        return None  # filled below
    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}_"
        if short.startswith(label) or (
            short == "auth_user_password_change" and model._meta.model_name == "user"
        ):
            if short.endswith(("_changelist", "_add")):
                return {}
            obj = model._default_manager.order_by("pk").first()
            key = "id" if short == "auth_user_password_change" else "object_id"
            return {key: str(obj.pk if obj else 999999)}
    return {}


def _url(world, name: str) -> str:
    if name.startswith("admin:"):
        if name == "admin:view_on_site":
            from django.contrib.contenttypes.models import ContentType

            user = world.people["agent"]
            content_type = ContentType.objects.get_for_model(user)
            return reverse(name, kwargs={"content_type_id": content_type.pk, "object_id": user.pk})
        return reverse(name, kwargs=_admin_kwargs(name))
    kwargs = {}
    row = TABLE[name]
    for parameter, key in row.kwargs:
        if key == "__table__":
            kwargs[parameter] = _dashboard_table_key(world)
        else:
            kwargs[parameter] = world.objects[key].pk
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{row.query}" if row.query else url


def _dashboard_table_key(world) -> str:
    """A table every dashboard persona has: the keys linked from their pages, in common."""
    keys = None
    for persona in ("agent", "specialist_a", "manager"):
        html = world.client_for(persona).get(reverse("dashboards:index")).content.decode()
        found = set(re.findall(r"/dashboards/export/([\w-]+)\.csv", html))
        keys = found if keys is None else keys & found
    assert keys, "no dashboard table is shown to agents, specialists and managers alike"
    return sorted(keys)[0]


def _request(client, url: str):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def _is_login_redirect(response) -> bool:
    if response.status_code != 302:
        return False
    location = response["Location"]
    return location.startswith((reverse("accounts:login"), reverse("admin:login")))


def _outcome(response) -> str:
    if response.status_code == 404:
        return "404"
    if response.status_code in (401, 403) or _is_login_redirect(response):
        return "denied"
    return "allowed"


def _walk(
    name: str, allowed: frozenset[str], hidden: frozenset[str], tolerated: frozenset[int] = frozenset()
) -> list[str]:
    world = build_world()
    missing = [key for _, key in TABLE.get(name, Rule(frozenset())).kwargs if key not in world.objects]
    if missing and "__table__" not in missing:
        pytest.fail(f"the table names {missing}, which tests/security/world.py does not build")
    url = _url(world, name)
    problems = []
    for persona in PERSONAS:
        client = world.client_for(persona)
        events_before = AuditEvent.objects.count()
        with transaction.atomic():
            response = _request(client, url)
            events_after = AuditEvent.objects.count()
            transaction.set_rollback(True)
        outcome = _outcome(response)
        if name in LOGIN_REDIRECT_OK and _is_login_redirect(response):
            outcome = "allowed"
        if persona in allowed and response.status_code in tolerated:
            outcome = "allowed"
        where = f"{persona} {response.request['REQUEST_METHOD']} {url} -> {response.status_code}"
        if persona in allowed:
            if outcome != "allowed":
                problems.append(f"{where}: should be allowed")
        elif persona in hidden:
            if outcome != "404":
                problems.append(f"{where}: another department's object must be a 404")
        elif outcome == "allowed":
            problems.append(f"{where}: should be denied")
        elif persona == "anonymous" and not (
            _is_login_redirect(response)
            or (name.startswith(API_UNAUTHORIZED_OK) and response.status_code == 401)
            or (name in NO_SESSION_OK and response.status_code == 404)
        ):
            problems.append(f"{where}: anonymous visitors go to the login page")
        if persona not in allowed and events_after != events_before:
            problems.append(f"{where}: a denied request wrote to the audit log")
    return problems


@pytest.mark.parametrize("name", sorted(TABLE))
def test_url_permissions(name, request, settings):
    settings.NETWORK_HTTP_TIMEOUT = 1
    row = TABLE[name]
    if name not in NAMED:
        pytest.skip(f"{name} is not in the URLconf yet")
    settings.DEBUG = row.debug
    if row.xfail:
        request.applymarker(pytest.mark.xfail(reason=row.xfail, strict=True))
    problems = _walk(name, row.allowed, row.hidden)
    assert not problems, "\n".join(problems)


ADMIN_NAMES = [name for name in NAMED if name.startswith("admin:") and name != "admin:logout"]


@pytest.mark.parametrize("name", ADMIN_NAMES)
def test_admin_permissions(name):
    allowed = ADMIN_PUBLIC.get(name, ADMIN_ONLY)
    problems = _walk(name, allowed, frozenset(), tolerated=frozenset({403, 404}))
    assert not problems, "\n".join(problems)


def test_admin_logout_is_for_staff():
    # POST-only and ends the session; walked separately so it runs last for each persona.
    world = build_world()
    for persona in PERSONAS:
        response = world.client_for(persona).post(reverse("admin:logout"))
        if persona in ("admin", "anonymous"):  # logged out (LOGOUT_REDIRECT_URL), or never in
            assert _is_login_redirect(response)
        else:  # the admin sends non-staff to its index, which sends them to its login page
            assert response.status_code == 302, persona
            assert response["Location"] == reverse("admin:index"), persona


def test_admin_changelists_open_for_the_admin():
    registered = {f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry}
    assert registered <= set(ADMIN_NAMES)
    assert apps.get_model("audit", "AuditEvent") in admin.site._registry
    world = build_world()
    client = world.client_for("admin")
    for name in sorted(registered):
        assert client.get(reverse(name)).status_code == 200, name
