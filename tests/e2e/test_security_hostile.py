"""Hostile social content in Chromium: nothing a customer writes may run anywhere it is shown.

The sandbox's hostile scenario (markup, <script>, event handlers, javascript:/data:/vbscript:
URLs, right-to-left overrides, NUL bytes, hostile display names, profile and avatar URLs) goes
through the real poll and ingest; more payloads are put where people type (an escalation's
question, a notification, the audit log). Then each role's pages are opened and checked:

- no dialog opened and no hooked function (alert, confirm, prompt, print) was called;
- no Content-Security-Policy violation (the `page` fixture's rule, applied to every context);
- the DOM has no event-handler attribute, no script we did not ship, no iframe/object/embed, no
  javascript:/data:/vbscript: URL in an href, src or action.
"""

from __future__ import annotations

import pytest

from bankbuzz.accounts import roles
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from devtools.sandbox import content
from escalations import services as escalation_services
from inbox.models import Conversation
from listening.services import account_poll
from tests.conftest import make_person
from tests.e2e.conftest import log_in
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "<script>window.__xss.push('script')</script>",
    "<img src=x onerror=\"window.__xss.push('img')\">",
    "<svg onload=\"window.__xss.push('svg')\"><script>window.__xss.push('svg-script')</script></svg>",
    "<a href=\"javascript:window.__xss.push('js-url')\">refund</a>",
    "<iframe src=\"data:text/html,<script>parent.__xss.push('iframe')</script>\"></iframe>",
    "\"><script>window.__xss.push('attr-break')</script>",
    "'><img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} <style>body{display:none}</style>",
]

HOOKS = """
window.__xss = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  window[name] = (...args) => { window.__xss.push(name + ':' + args.join(' ')); };
}
"""

SCAN = """() => {
  const bad = [];
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data', 'srcset'];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.tagName} ${name}=${attr.value}`);
      if (urlAttrs.includes(name) && /^(javascript|data|vbscript):/.test(value)) {
        bad.push(`${el.tagName} ${name}=${attr.value}`);
      }
    }
  }
  for (const s of document.querySelectorAll('script')) {
    if (s.type === 'application/json') continue;  // json_script: data, never run
    if (s.src && new URL(s.src).origin === location.origin) continue;  // ours (static, admin's jsi18n)
    bad.push('script ' + (s.src || s.textContent));
  }
  for (const el of document.querySelectorAll('iframe, object, embed, frame, style')) bad.push(el.tagName);
  return bad;
}"""


def _world():
    agent = make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    lead = make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")
    make_person("maria", roles.MANAGER)
    make_person("chris", roles.COMPLIANCE)
    make_person("ada", roles.ADMIN, is_staff=True, is_superuser=True)
    cards = make_department("Cards")
    specialist = make_person("carla", roles.SPECIALIST)
    cards.members.add(specialist)
    conversations = []
    for n, payload in enumerate([*PAYLOADS, *content.HOSTILE_NAMES]):
        customer = AuthorFactory(handle=f"h0stile_{n}", name=payload[:200])
        conversation = ConversationFactory(
            customer=customer, status=Conversation.Status.OPEN, assignee=agent, preview=payload[:200]
        )
        MentionFactory(author=customer, thread_key=conversation.thread_key, text=f"@bank {payload}")
        conversations.append(conversation)
    escalation = escalation_services.escalation_open(
        actor=agent, conversation=conversations[0], department=cards, question=" ".join(PAYLOADS)
    )
    notify(recipients=[agent], verb="hostile", text=PAYLOADS[1], url="javascript:alert(1)", email=False)
    notify(recipients=[agent], verb="hostile", text=PAYLOADS[0], url="/inbox/", email=False)
    for payload in PAYLOADS:
        audit_record(actor=lead, verb="hostile.test", object_type="inbox.conversation", object_repr=payload)
    return conversations, escalation


def _context(browser, violations: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(HOOKS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda d: (violations.append(f"dialog: {d.message}"), d.dismiss()))
    return context, page


def _check(page, url: str, problems: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    fired = page.evaluate("() => window.__xss")
    if fired:
        problems.append(f"{url}: ran {fired}")
    for finding in page.evaluate(SCAN):
        problems.append(f"{url}: {finding}")


def test_hostile_content_runs_nowhere(browser, live_server, sandbox, x_account):
    # The sandbox's own hostile scenario, through the real poll and ingest.
    sandbox.generate(12, network="x", hostile=True)
    account_poll(account_id=x_account.pk)
    conversations, escalation = _world()
    from_sandbox = list(
        Conversation.objects.filter(customer__handle__startswith="h0stile_", network="x")
        .exclude(pk__in=[c.pk for c in conversations])
        .values_list("pk", flat=True)
    )
    assert from_sandbox, "the sandbox's hostile items did not reach the inbox"
    base = live_server.url
    pages = {
        "amira": (
            "/inbox/",
            [
                "/inbox/",
                *(f"/inbox/c/{pk}/" for pk in from_sandbox[:6]),
                *(f"/inbox/c/{c.pk}/" for c in conversations),
                "/accounts/notifications/",
                "/dashboards/",
            ],
        ),
        "laura": ("/inbox/", [f"/escalations/{escalation.pk}/", "/escalations/", "/inbox/?q=script"]),
        "carla": (
            "/escalations/",
            [f"/escalations/{escalation.pk}/", f"/escalations/conversations/{conversations[0].pk}/"],
        ),
        "maria": ("/dashboards/", ["/dashboards/"]),
        "chris": ("/inbox/", ["/audit/", "/audit/?verb=hostile.test"]),
        "ada": (
            "/inbox/",
            [
                "/admin/listening/author/",
                "/admin/listening/mention/",
                f"/admin/listening/author/{conversations[0].customer_id}/change/",
                f"/admin/inbox/conversation/{conversations[0].pk}/change/",
                "/admin/audit/auditevent/",
            ],
        ),
    }
    problems: list[str] = []
    violations: list[str] = []
    for username, (landing, urls) in pages.items():
        context, page = _context(browser, violations)
        try:
            log_in(page, base, username, landing=landing)
            for url in urls:
                _check(page, base + url, problems)
            if username == "amira":
                # The notification menu is filled by htmx when it opens.
                page.goto(base + "/inbox/")
                page.locator("#notif-menu summary").click()
                page.wait_for_load_state("networkidle")
                fired = page.evaluate("() => window.__xss")
                problems.extend(f"notification menu: ran {f}" for f in fired)
                problems.extend(f"notification menu: {f}" for f in page.evaluate(SCAN))
        finally:
            context.close()
    assert not problems, "\n".join(problems)
    assert not violations, f"Content-Security-Policy violations or dialogs: {violations}"
