// Suggestions from the advice library (templates/learning/_suggestions.html): insert one into
// the reply with a click or one key, and tell the server which one was chosen. The server
// checks the reply again when it is sent; this only saves typing.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "textarea" || tag === "select" || tag === "input" || target.isContentEditable;
  }

  function csrfToken(panel) {
    var scope = panel.closest("form") || document;
    var input = scope.querySelector('input[name="csrfmiddlewaretoken"]') ||
      document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function record(panel, button) {
    var body = new URLSearchParams();
    body.set("kind", button.getAttribute("data-suggestion-kind"));
    body.set("entry", button.getAttribute("data-suggestion-id"));
    body.set("rank", button.getAttribute("data-rank"));
    fetch(panel.getAttribute("data-use-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(panel), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (response) {
      if (response.ok) button.classList.add("is-used");
    }).catch(function () { /* the text is inserted; only the record is lost */ });
  }

  function insert(button) {
    var panel = button.closest("[data-suggest-target]");
    if (!panel) return;
    var box = document.getElementById(panel.getAttribute("data-suggest-target"));
    if (!box) return;
    var tab = document.getElementById("tab-reply");
    if (tab && box.id === "reply-text" && tab.getAttribute("aria-selected") !== "true") tab.click();
    var text = button.getAttribute("data-text") || "";
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    if (!box.value.trim()) { start = 0; end = box.value.length; }
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    if (button.getAttribute("data-suggestion-kind") === "saved_reply" && box.id === "reply-text") {
      var saved = document.getElementById("reply-saved");
      if (saved) saved.value = button.getAttribute("data-suggestion-id");
    }
    record(panel, button);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".suggestion");
    if (!button) return;
    event.preventDefault();
    insert(button);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey) return;
    var match = /^Digit([1-3])$/.exec(event.code || "");
    if (!match) return;
    // A digit types a digit in a text field; Alt+digit inserts there instead.
    if (isTyping(event.target) !== event.altKey) return;
    // A bare digit is a single-key shortcut: off when the person turned those off (Alt+digit stays).
    if (!event.altKey && window.bankbuzzShortcuts && !window.bankbuzzShortcuts.enabled()) return;
    var button = document.querySelector('.suggestion[data-rank="' + match[1] + '"]');
    if (!button) return;
    event.preventDefault();
    insert(button);
  });
})();
