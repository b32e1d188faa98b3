// The inbox: keyboard shortcuts, list selection, typing presence, drafts, composer tabs.
// Behaviour only; the server renders everything (and the page works without this file).
(function () {
  "use strict";

  var TYPING_MS = 4000;
  var typingUntil = 0;
  var typingKind = "";
  var drafts = {}; // conversation id -> note text, so an action never eats a half-written note

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function openConversationId() {
    var article = $("#pane [data-conversation-id]");
    return article ? article.getAttribute("data-conversation-id") : null;
  }

  // --- The list ---------------------------------------------------------------------------------

  function rows() { return $all("#rows .row[data-conversation]"); }

  function markActive() {
    var current = openConversationId();
    rows().forEach(function (row) {
      var active = row.getAttribute("data-conversation") === current;
      row.classList.toggle("is-active", active);
      var link = $(".row-link", row);
      if (link) {
        if (active) link.setAttribute("aria-current", "true");
        else link.removeAttribute("aria-current");
      }
    });
  }

  function focusedRow() {
    var el = document.activeElement;
    var row = el && el.closest ? el.closest(".row[data-conversation]") : null;
    return row || $("#rows .row.is-focused") || $("#rows .row.is-active");
  }

  function moveFocus(step) {
    var list = rows();
    if (!list.length) return;
    var current = focusedRow();
    var index = current ? list.indexOf(current) : -1;
    var next = list[Math.max(0, Math.min(list.length - 1, index + step))];
    if (index === -1) next = list[0];
    list.forEach(function (row) { row.classList.toggle("is-focused", row === next); });
    var link = $(".row-link", next);
    if (link) {
      link.focus();
      next.scrollIntoView({ block: "nearest" });
    }
  }

  function selectedItems() {
    return $all("#rows .row-select:checked").map(function (box) { return box.value; });
  }

  function updateBulkBar() {
    var count = selectedItems().length;
    var pane = $(".list-pane");
    if (pane) pane.classList.toggle("has-selection", count > 0);
    var label = $("#bulk-count");
    if (label) label.textContent = count + " selected";
    var action = $("#bulk-action");
    $all("[data-bulk-for]").forEach(function (field) {
      field.hidden = !action || field.getAttribute("data-bulk-for") !== action.value;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList.contains("row-select") || target.id === "bulk-action") updateBulkBar();
    if (target.hasAttribute("data-autosubmit") && target.form) target.form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-clear-selection]");
    if (clear) {
      $all("#rows .row-select:checked").forEach(function (box) { box.checked = false; });
      updateBulkBar();
    }
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) openDialog(opener.getAttribute("data-open-dialog"));
    var chip = event.target.closest("[data-mention]");
    if (chip) insertMention(chip.getAttribute("data-mention"));
    var tab = event.target.closest("[data-tab]");
    if (tab) selectTab(tab.getAttribute("data-tab"), true);
  });

  // The list's poll tells the server which rows are on screen (to refresh changed ones in
  // place and show who has them open) and which are selected (so a refresh keeps the ticks).
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-list-poll")) {
      event.detail.parameters.rows = rows().map(function (row) {
        return row.getAttribute("data-conversation") + ":" + row.getAttribute("data-version");
      }).join(",");
      event.detail.parameters.selected = selectedItems().join(",");
    }
    if (elt.hasAttribute("data-live")) {
      event.detail.parameters.typing = Date.now() < typingUntil ? typingKind : "";
    }
  });

  // --- The conversation pane -------------------------------------------------------------------

  function noteBox() { return $("#pane #note-text"); }

  function saveDraft() {
    var box = noteBox();
    var id = openConversationId();
    if (box && id) drafts[id] = box.value;
  }

  function restoreDraft() {
    var box = noteBox();
    var id = openConversationId();
    if (box && id && drafts[id] && !box.value) box.value = drafts[id];
  }

  function scrollThreadToEnd() {
    var scroller = $("#thread-scroll");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  var paneHadFocus = false;
  var threadAtEnd = true;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "pane") {
      paneHadFocus = target.contains(document.activeElement);
      saveDraft();
    }
  });

  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "thread") {
      var scroller = $("#thread-scroll");
      threadAtEnd = !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "thread" && threadAtEnd) scrollThreadToEnd();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    markActive();
    updateBulkBar();
    var target = event.detail.target;
    if (target && target.id === "pane") {
      restoreDraft();
      scrollThreadToEnd();
      var error = $("#pane #action-error");
      if (error) {
        error.setAttribute("tabindex", "-1");
        error.focus();
      } else if (paneHadFocus) {
        var title = $("#pane #conversation-title");
        if (title) {
          title.setAttribute("tabindex", "-1");
          title.focus();
        }
      }
      // A note that was saved is gone from the drafts.
      if (!$("#pane #action-error") && noteBox() && !noteBox().value) delete drafts[openConversationId()];
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // A successful note clears its draft.
    var elt = event.detail.elt;
    if (elt && elt.classList && elt.classList.contains("note-form") && event.detail.successful) {
      delete drafts[openConversationId()];
    }
  });

  document.addEventListener("input", function (event) {
    var kind = event.target.getAttribute && event.target.getAttribute("data-typing");
    if (!kind) return;
    var wasTyping = Date.now() < typingUntil;
    typingKind = kind;
    typingUntil = Date.now() + TYPING_MS;
    // Tell colleagues at once rather than at the next heartbeat.
    var live = $("#pane-live");
    if (!wasTyping && live && window.htmx) window.htmx.trigger(live, "typing-start");
  });

  function insertMention(username) {
    var box = noteBox();
    if (!box) return;
    selectTab("note", false);
    var text = "@" + username + " ";
    var start = box.selectionStart || box.value.length;
    var before = box.value.slice(0, start);
    if (before && !/\s$/.test(before)) text = " " + text;
    box.value = before + text + box.value.slice(box.selectionEnd || start);
    box.focus();
    box.selectionStart = box.selectionEnd = before.length + text.length;
  }

  function selectTab(name, focusTab) {
    $all("#pane [data-tab]").forEach(function (tab) {
      var on = tab.getAttribute("data-tab") === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.setAttribute("tabindex", on ? "0" : "-1");
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
      if (on && focusTab) tab.focus();
    });
  }

  // Arrow keys move between the composer's tabs (the WAI-ARIA tabs pattern).
  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[data-tab]");
    if (!tab || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    selectTab(tab.getAttribute("data-tab") === "note" ? "reply" : "note", true);
    event.preventDefault();
  });

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog && !dialog.open) dialog.showModal();
  }

  // --- Keyboard shortcuts ------------------------------------------------------------------------

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function clickShortcut(key) {
    var button = $('#pane [data-shortcut="' + key + '"]');
    if (button) {
      button.click();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && isTyping(event.target)) {
      event.target.blur();
      return;
    }
    if (isTyping(event.target) || $("dialog[open]")) return;
    var handled = true;
    switch (event.key) {
      case "j": moveFocus(1); break;
      case "k": moveFocus(-1); break;
      case "Enter": {
        if (document.activeElement && document.activeElement !== document.body) { handled = false; break; }
        var row = focusedRow();
        var link = row && $(".row-link", row);
        if (link) link.click(); else handled = false;
        break;
      }
      case "x": {
        var current = focusedRow();
        var box = current && $(".row-select", current);
        if (box) {
          box.checked = !box.checked;
          updateBulkBar();
        }
        break;
      }
      case "a": handled = clickShortcut("a"); break;
      case "e": handled = clickShortcut("e"); break;
      case "r":
        if ($("#pane #tab-reply")) {
          selectTab("reply", false);
          $("#pane #reply-placeholder").focus();
        } else handled = false;
        break;
      case "n":
        if (noteBox()) {
          selectTab("note", false);
          noteBox().focus();
        } else handled = false;
        break;
      case "/": {
        var search = $("#id_q");
        if (search) {
          search.focus();
          search.select();
        } else handled = false;
        break;
      }
      case "?": openDialog("shortcuts-dialog"); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    markActive();
    updateBulkBar();
    scrollThreadToEnd();
  });
})();
