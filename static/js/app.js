// Small behaviours every page shares. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";

  var toastTimer = null;

  // Errors say what happened and what to do, also when htmx made the request.
  function toast(text) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, 8000);
  }
  window.bankbuzzToast = toast;

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    // Polls fail quietly once; a person's action never does.
    if (event.detail.elt && event.detail.elt.hasAttribute("data-live")) return;
    if (event.detail.elt && event.detail.elt.hasAttribute("data-list-poll")) return;
    var body = xhr && xhr.getResponseHeader("Content-Type") && xhr.getResponseHeader("Content-Type").indexOf("text/plain") === 0 ? xhr.responseText : "";
    if (status === 403) toast(body || "Your role does not allow that. Ask a lead if you think it should.");
    else if (status === 404) toast("That is no longer there. Reload the page to see the latest.");
    else toast("Something went wrong (" + status + "). Your change may not be saved: reload and check.");
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt && (event.detail.elt.hasAttribute("data-live") || event.detail.elt.hasAttribute("data-list-poll"))) return;
    toast("BankBuzz cannot be reached. Check your connection; nothing was changed.");
  });

  // --- Single-key shortcuts: each person can turn them off or choose other keys (WCAG 2.1.4) ---
  // Kept in this browser's localStorage under the person's id: the right keys depend on the
  // keyboard and the assistive technology of the machine in use (speech input on one, a French
  // layout on another), a change applies at once, and nothing about it needs recording.
  var SHORTCUT_DEFAULTS = { next: "j", prev: "k", select: "x", assign: "a", resolve: "e", reply: "r", note: "n", search: "/", help: "?" };

  function shortcutStoreKey() {
    return "bankbuzz.shortcuts." + (document.body.getAttribute("data-user") || "anonymous");
  }

  function loadShortcuts() {
    var saved = {};
    try { saved = JSON.parse(window.localStorage.getItem(shortcutStoreKey()) || "{}") || {}; } catch (e) { saved = {}; }
    var keys = {};
    Object.keys(SHORTCUT_DEFAULTS).forEach(function (action) {
      var key = saved.keys && saved.keys[action];
      keys[action] = typeof key === "string" && key.length === 1 ? key : SHORTCUT_DEFAULTS[action];
    });
    return { enabled: saved.enabled !== false, keys: keys };
  }

  window.bankbuzzShortcuts = {
    defaults: SHORTCUT_DEFAULTS,
    load: loadShortcuts,
    save: function (settings) {
      try { window.localStorage.setItem(shortcutStoreKey(), JSON.stringify(settings)); } catch (e) { /* private mode: this page only */ }
      document.dispatchEvent(new CustomEvent("bankbuzz:shortcuts-changed"));
    },
    enabled: function () { return loadShortcuts().enabled; },
    // The action a key press means, or null (also when the shortcuts are off).
    actionFor: function (key) {
      var settings = loadShortcuts();
      if (!settings.enabled) return null;
      var found = null;
      Object.keys(settings.keys).forEach(function (action) { if (settings.keys[action] === key) found = action; });
      return found;
    }
  };

  // Notification menu: close on Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[open].notif-menu, details[open].more-actions").forEach(function (d) {
      d.open = false;
      var summary = d.querySelector("summary");
      if (summary) summary.focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[open].notif-menu, details[open].more-actions").forEach(function (d) {
      if (!d.contains(event.target)) d.open = false;
    });
  });

  // A toast a response asks for (HX-Trigger: {"bankbuzz:toast": "..."}), e.g. after escalating.
  document.body.addEventListener("bankbuzz:toast", function (event) {
    if (event.detail && event.detail.value) toast(event.detail.value);
  });

  // Side panels (the escalate form beside the conversation): opened by an htmx swap into an
  // empty .side-sheet, closed by its Close button or Escape, focus back where it came from.
  var sheetOpener = null;
  function closeSheet(sheet) {
    if (!sheet || !sheet.firstElementChild) return;
    sheet.innerHTML = "";
    if (sheetOpener && document.body.contains(sheetOpener)) sheetOpener.focus();
    sheetOpener = null;
  }
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-open-sheet]") : null;
    if (opener) sheetOpener = opener;
    var closer = event.target.closest ? event.target.closest("[data-close-sheet]") : null;
    if (closer) closeSheet(closer.closest(".side-sheet"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".side-sheet").forEach(function (sheet) {
      if (sheet.contains(document.activeElement)) closeSheet(sheet);
    });
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var sheet = event.detail.target;
    if (!sheet || !sheet.classList || !sheet.classList.contains("side-sheet")) return;
    var field = sheet.querySelector(".errorlist ~ select, .errorlist ~ textarea, select, textarea, input:not([type=hidden])");
    if (field) field.focus();
  });
})();
