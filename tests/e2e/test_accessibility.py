"""Every page of every role, measured in Chromium: axe-core (WCAG 2.2 AA rules) in the light and the
dark colour scheme, no element wider than the viewport at the sizes people use, and on a phone no
button or field out of sight past the screen's edge.

The demo organisation is loaded once and each role logs in once; every page is then opened once
and checked at every size and in both schemes without reloading (the viewport and the emulated
colour scheme change in place), so the whole walk stays within a few minutes on a slow machine.

To check a new page, add it to PAGES and to the roles that may open it in ROLE_PAGES. A path may
name an object of the demo (`{conversation}`); `demo_ids` finds one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.timeout(1200)]

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The dark scheme changes colours only, so under it the colour rules are the ones that can differ.
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]
FAILING_IMPACTS = {"serious", "critical"}
# Not ours to fix: the vendored Swagger UI on the API page nests its controls and colours its own
# buttons (known upstream). The page around it is checked like any other.
AXE_EXCLUDE = ["#swagger-ui"]

DESKTOP = {"width": 1280, "height": 720}
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# name: path. `{...}` is an object of the demo organisation (see demo_ids).
PAGES = {
    "login": "/accounts/login/",
    "inbox": "/inbox/",
    "conversation": "/inbox/c/{conversation}/",
    "tags": "/inbox/tags/",
    "approvals": "/inbox/approvals/",
    "saved replies": "/inbox/saved-replies/",
    "saved reply new": "/inbox/saved-replies/new/",
    "saved reply edit": "/inbox/saved-replies/{saved_reply}/",
    "escalations": "/escalations/",
    "escalation": "/escalations/{escalation}/",
    "escalate": "/escalations/new/{conversation}/",
    "escalated conversation": "/escalations/conversations/{escalated_conversation}/",
    "departments": "/escalations/departments/",
    "department new": "/escalations/departments/new/",
    "department edit": "/escalations/departments/{department}/",
    "routing rules": "/escalations/rules/",
    "routing rule new": "/escalations/rules/new/",
    "routing rule edit": "/escalations/rules/{rule}/",
    "library": "/library/",
    "article new": "/library/articles/new/",
    "article edit": "/library/articles/{article}/",
    "digest": "/library/digest/",
    "experiments": "/library/experiments/",
    "proposals": "/library/proposals/",
    "dashboards": "/dashboards/",
    "dashboard rows": "/dashboards/rows/?metric=conversations",
    "listening": "/listening/",
    "query new": "/listening/queries/new/",
    "query": "/listening/queries/{query}/",
    "query edit": "/listening/queries/{query}/edit/",
    "alerts": "/listening/alerts/",
    "accounts": "/listening/accounts/",
    "account": "/listening/accounts/{account}/",
    "audit log": "/audit/",
    "retention": "/audit/retention/",
    "legal holds": "/audit/holds/",
    "legal hold new": "/audit/holds/new/",
    "erasures": "/audit/erasure/",
    "erasure new": "/audit/erasure/new/",
    "profile": "/accounts/me/",
    "notifications": "/accounts/notifications/",
    "api docs": "/api/docs/",
    "admin": "/admin/",
    "admin users": "/admin/accounts/user/",
    "complaints": "/complaints/",
    "complaints dashboard": "/complaints/dashboard/",
    "complaint": "/complaints/{complaint}/",
    "incidents": "/incidents/",
    "incident new": "/incidents/new/",
    "incident": "/incidents/{incident}/",
    "posts": "/incidents/posts/",
    "post new": "/incidents/posts/new/",
    "post": "/incidents/posts/{post}/",
}

_EVERYONE = ["profile", "notifications", "api docs", "library", "dashboards", "dashboard rows"]
_READERS = [
    "inbox",
    "conversation",
    "escalations",
    "escalation",
    "escalated conversation",
    "departments",
    "listening",
    "query",
    "alerts",
    "complaints",
    "complaints dashboard",
    "complaint",
    "incidents",
    "incident",
    "posts",
    "post",
    *_EVERYONE,
]
_AUDIT = ["audit log", "retention", "legal holds", "legal hold new", "erasures", "erasure new"]
_SETUP = [
    "department new",
    "department edit",
    "routing rules",
    "routing rule new",
    "routing rule edit",
    "query new",
    "query edit",
    "accounts",
    "account",
]
ROLE_PAGES = {
    "agent": [*_READERS, "escalate"],
    "lead": [
        *_READERS,
        "escalate",
        "tags",
        "approvals",
        "saved replies",
        "saved reply new",
        "saved reply edit",
        *_SETUP,
        "article new",
        "article edit",
        "digest",
        "experiments",
        "proposals",
        "incident new",
        "post new",
    ],
    "specialist": ["escalations", "escalation", "escalated conversation", "departments", *_EVERYONE],
    "manager": list(_READERS),
    "compliance": [*_READERS, "approvals", *_AUDIT],
    "admin": [*_READERS, *_SETUP, *_AUDIT, "admin", "admin users"],
}

# Elements wider than the viewport: the right edge past it, unless clipped by an ancestor that ends
# inside it (an ellipsis), or inside a table that scrolls sideways in its own box.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const clippedInside = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === "visible") continue;
      if (a.getBoundingClientRect().right <= width + 1) {
        if (style.overflowX === "hidden" || style.overflowX === "clip") return true;
        if (el.closest("table, pre")) return true;
      }
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0 || rect.right <= width + 1) continue;
    // Not rendered (in a closed <details>, or hidden), or clipped: not past the edge for anyone.
    if (!el.checkVisibility({visibilityProperty: true}) || clippedInside(el)) continue;
    const nested = el.parentElement && found.some((f) => f.el === el.parentElement);
    found.push(nested ? {el, nested} : {el, right: Math.round(rect.right)});
  }
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + Array.from(el.classList).join(".") : "");
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width,
    elements: found.filter((f) => !f.nested).slice(0, 6).map((f) => `${name(f.el)} to x=${f.right}`),
  };
}
"""

# Form controls a person on a phone cannot reach without scrolling a table sideways: a control whose
# box lies past the viewport's right edge (its table scrolls, so the page itself is not wider). Menus
# and confirmations (closed <details>) are opened for the measure, and closed again after it.
CONTROLS_OUT_OF_SIGHT_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const opened = Array.from(document.querySelectorAll("details:not([open])"));
  opened.forEach((d) => { d.open = true; });
  for (const el of document.body.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
    const rect = el.getBoundingClientRect();
    // Not rendered: in a closed <details>, or hidden (checkVisibility sees both).
    if (rect.width === 0 || rect.height === 0 || !el.checkVisibility({visibilityProperty: true})) continue;
    if (rect.right > width + 1) {
      found.push(el.tagName.toLowerCase() + (el.name ? `[name=${el.name}]` : "") +
        ` "${(el.textContent || el.value || "").trim().slice(0, 20)}" to x=${Math.round(rect.right)}`);
    }
  }
  opened.forEach((d) => { d.open = false; });
  return found.slice(0, 4);
}
"""

# A link in a scrolling table, scrolled under the table's sticky head, then reached with Tab: it
# must come out from under the head (WCAG 2.4.11). Returns what covers the link's centre.
FOCUS_UNDER_STICKY_JS = """
async () => {
  const wrap = Array.from(document.querySelectorAll(".dash-table-wrap")).find((w) =>
    w.scrollHeight > w.clientHeight + 40 && w.querySelectorAll("tbody a").length > 3);
  if (!wrap) return "no scrolling table with links";
  const links = wrap.querySelectorAll("tbody a");
  const link = links[Math.floor(links.length / 2)];
  wrap.scrollTop += link.getBoundingClientRect().top - wrap.getBoundingClientRect().top;
  link.focus();
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const r = link.getBoundingClientRect();
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (top && (top === link || link.contains(top))) return "";
  return "covered by " + (top ? top.outerHTML.slice(0, 80) : "nothing");
}
"""

SETTLED_JS = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"


def demo_ids() -> dict[str, int | None]:
    """One object of each kind the paths name, from the demo organisation."""
    from complaints.models import Complaint
    from escalations.models import Department, Escalation, RoutingRule
    from inbox.models import Conversation, SavedReply
    from incidents.models import Incident, Post
    from learning.models import AdviceArticle
    from listening.models import ListeningQuery, SocialAccount

    def first(queryset):
        return queryset.values_list("pk", flat=True).first()

    # An escalation the demo specialist may open (a department of theirs), so every role sees the same one.
    escalation = Escalation.objects.filter(department__members__username="specialist").order_by("-pk").first()
    open_conversations = Conversation.objects.filter(status__in=["new", "open"])
    return {
        "conversation": first(open_conversations.order_by("-last_activity_at")),
        "saved_reply": first(SavedReply.objects.order_by("pk")),
        "escalation": escalation and escalation.pk,
        "escalated_conversation": escalation and escalation.conversation_id,
        "department": first(Department.objects.order_by("pk")),
        "rule": first(RoutingRule.objects.order_by("pk")),
        "article": first(AdviceArticle.objects.order_by("pk")),
        "query": first(ListeningQuery.objects.order_by("pk")),
        "account": first(SocialAccount.objects.order_by("pk")),
        "complaint": first(Complaint.objects.order_by("pk")),
        "incident": first(Incident.objects.order_by("pk")),
        "post": first(Post.objects.order_by("pk")),
    }


@dataclass
class Walk:
    """What the walk found, page by page ("role page [scheme or size]: finding")."""

    visited: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    axe_minor: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    out_of_sight: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)


def _axe(page, rules: list[str] | None = None) -> list[dict]:
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    return page.evaluate(
        "([runOnly, exclude]) => axe.run({exclude}, {runOnly, resultTypes: ['violations']})"
        ".then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ': '"
        " + (n.failureSummary || '').split('\\n')[1])})))",
        [run_only, AXE_EXCLUDE],
    )


def _record_axe(walk: Walk, where: str, violations: list[dict]) -> None:
    for v in violations:
        line = f"{where}: {v['id']} ({v['impact']}) {v['help']}: " + " | ".join(v["nodes"])
        (walk.axe if v["impact"] in FAILING_IMPACTS else walk.axe_minor).append(line)


def _resize(page, size: dict) -> None:
    page.set_viewport_size(size)
    # Two frames: resize observers (the charts) redraw at the new width before anything is measured.
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def _record_overflow(walk: Walk, page, where: str) -> None:
    result = page.evaluate(OVERFLOW_JS)
    if result["elements"] or result["scrollWidth"] > result["width"] + 1:
        wide = f"{where}: page {result['scrollWidth']} px wide in {result['width']} px"
        walk.overflow.append(wide + "; " + ", ".join(result["elements"]))


def _settle(page) -> None:
    page.wait_for_function(SETTLED_JS)
    page.wait_for_timeout(50)  # htmx's settle and swap classes


def check_page(page, walk: Walk, where: str, *, shots: Path | None, shot_name: str) -> None:
    """axe in light (all WCAG rules) and dark (colour rules), overflow at each size (a phone's too:
    every page must work on one); all in place."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        _resize(page, DESKTOP)
        _settle(page)
        _record_axe(walk, f"{where} [{scheme}]", _axe(page, None if scheme == "light" else AXE_COLOUR_RULES))
        if scheme == "light":
            _record_overflow(walk, page, f"{where} [1280x720]")
            _resize(page, WIDE)
            _record_overflow(walk, page, f"{where} [1440x900]")
            _resize(page, PHONE)
            _record_overflow(walk, page, f"{where} [390x844]")
            if out_of_sight := page.evaluate(CONTROLS_OUT_OF_SIGHT_JS):
                walk.out_of_sight.append(f"{where} [390x844]: " + ", ".join(out_of_sight))
        if shots:
            for size in (WIDE, {"width": 1024, "height": 768}, PHONE):
                _resize(page, size)
                path = shots / f"{shot_name}-{size['width']}x{size['height']}-{scheme}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), caret="initial", animations="disabled")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)


def _log_in(page, base_url: str, username: str, walk: Walk, shots: Path | None) -> None:
    from bankbuzz.accounts.models import User
    from devtools.management.commands.demo_seed import demo_password
    from tests.security.auth import current_code

    code = current_code(User.objects.get(username=username))
    page.goto(f"{base_url}/accounts/login/")
    if not walk.visited:  # the two pages before anyone is logged in, once
        check_page(page, walk, "anonymous login", shots=shots, shot_name="anonymous/login")
        walk.visited.append("anonymous login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_password(username))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/accounts/verify/**")
    if len(walk.visited) == 1:
        check_page(page, walk, "anonymous verify", shots=shots, shot_name="anonymous/verify")
        walk.visited.append("anonymous verify")
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def walk_every_page(browser, base_url: str, *, shots: Path | None = None) -> Walk:
    walk = Walk()
    ids = demo_ids()
    for role, names in ROLE_PAGES.items():
        context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
        # Injected through the browser's debugger, so the page's Content-Security-Policy does not apply.
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        page.set_default_timeout(30_000)
        csp: list[str] = []
        page.on("console", lambda m, csp=csp: "Content Security Policy" in m.text and csp.append(m.text))
        try:
            _log_in(page, base_url, role, walk, shots)
            for name in names:
                path = PAGES[name]
                try:
                    path = path.format(**ids)
                except KeyError as missing:
                    raise AssertionError(f"PAGES[{name!r}] names {missing}: add it to demo_ids") from None
                if "None" in path:
                    walk.skipped.append(f"{role} {name} (the demo has no such object)")
                    continue
                response = page.goto(base_url + path)
                if response is None or response.status != 200:
                    walk.errors.append(f"{role} {name} {path}: HTTP {response and response.status}")
                    continue
                check_page(
                    page,
                    walk,
                    f"{role} {name}",
                    shots=shots,
                    shot_name=f"{role}/{name.replace(' ', '-')}",
                )
                walk.visited.append(f"{role} {name}")
                if name == "dashboards" and role == "manager":
                    covered = page.evaluate(FOCUS_UNDER_STICKY_JS)
                    walk.focus.append(f"{role} {name}: a focused link is {covered}" if covered else "")
        finally:
            context.close()
        walk.errors.extend(f"{role}: {text}" for text in csp)
    return walk


@pytest.fixture(scope="module")
def walk(browser, live_server, django_db_setup, django_db_blocker):
    """The demo organisation, walked once for the tests below (which read what it found)."""
    from django.core.management import call_command
    from django.test import override_settings

    # `make screenshots` (scripts/screenshots.sh) sets this: the same walk, photographed.
    shots_dir = os.environ.get("BANKBUZZ_SCREENSHOTS")
    shots = Path(shots_dir) if shots_dir else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        try:
            with override_settings(DEBUG=True), open(os.devnull, "w") as quiet:
                call_command("demo_seed", stdout=quiet)
            started = time.monotonic()
            found = walk_every_page(browser, live_server.url, shots=shots)
            print(f"\nwalked {len(found.visited)} pages in {time.monotonic() - started:.0f} s")
            yield found
        finally:
            call_command("flush", interactive=False, verbosity=0)  # the demo must not outlive this module


def test_every_page_of_every_role_opens(walk):
    assert not walk.errors, "\n".join(walk.errors)
    assert not walk.skipped, "\n".join(walk.skipped)
    assert len(walk.visited) == 2 + sum(len(names) for names in ROLE_PAGES.values())


def test_axe_finds_no_serious_or_critical_violation_in_either_colour_scheme(walk):
    for line in walk.axe_minor:
        print("minor:", line)
    assert walk.visited
    assert not walk.axe, f"{len(walk.axe)} serious or critical violations:\n" + "\n".join(walk.axe)


def test_no_element_is_wider_than_the_viewport(walk):
    assert walk.visited
    assert not walk.overflow, "\n".join(walk.overflow)


def test_on_a_phone_every_form_control_is_in_sight(walk):
    assert walk.visited
    assert not walk.out_of_sight, "\n".join(walk.out_of_sight)


def test_focus_is_never_hidden_under_a_sticky_table_head(walk):
    assert walk.focus == [""], "\n".join(walk.focus)
