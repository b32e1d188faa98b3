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

  function replyBox() { return $("#pane #reply-text"); }
  var replyDrafts = {}; // conversation id -> reply text, kept across pane refreshes
  // The composer's tab before a swap of the pane: a refresh of the same conversation keeps it.
  var tabBefore = null;

  function selectedTab() {
    var tab = $("#pane [data-tab][aria-selected='true']");
    return tab ? tab.getAttribute("data-tab") : null;
  }

  function saveDraft(fromReplyForm) {
    var box = noteBox();
    var id = openConversationId();
    tabBefore = id ? { id: id, tab: selectedTab() } : null;
    if (box && id) drafts[id] = box.value;
    // A submitted reply comes back in the response when it was refused; never restore it over that.
    if (id && fromReplyForm) delete replyDrafts[id];
    else if (id && replyBox()) replyDrafts[id] = replyBox().value;
  }

  function restoreDraft() {
    var box = noteBox();
    var id = openConversationId();
    if (box && id && drafts[id] && !box.value) box.value = drafts[id];
    var reply = replyBox();
    if (reply && id && replyDrafts[id] && !reply.value) {
      reply.value = replyDrafts[id];
      selectTab("reply", false);
    }
    // The server opens a conversation on the reply when it waits for the bank; an action on the
    // conversation one has open leaves the composer on the tab one was writing in.
    if (tabBefore && tabBefore.id === id && tabBefore.tab) selectTab(tabBefore.tab, false);
    tabBefore = null;
    updateCounter();
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
      var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
      saveDraft(!!(elt && elt.closest && elt.closest("#reply-form")));
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
      // A refused reply: the composer says why, next to the text (the guard's verdict or the error).
      var refused = $("#pane #guard-block") || $("#pane #reply-error");
      var error = $("#pane #action-error") || refused;
      if (refused) selectTab("reply", false);
      if (error) {
        error.setAttribute("tabindex", "-1");
        error.focus();
      } else if (paneHadFocus || !$("#rows") || !$("#rows").offsetParent) {
        // Also where the list is hidden behind the conversation (one pane): focus follows the swap.
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

  // A direct link's list arrives in its own request (inbox/_list_loading.html). When it comes, the
  // open conversation's row is scrolled into the list's view (it may be far down the page of rows);
  // not where the list is hidden behind the conversation (one pane), which would move the page.
  var revealActive = false;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    // A failed request swaps nothing (the placeholder says so): nothing to reveal later either.
    if (target && target.id === "list-region") {
      revealActive = !!(event.detail.shouldSwap && $("#list-loading", target));
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!revealActive || !target || target.id !== "list-region") return;
    revealActive = false;
    var active = $("#rows .row.is-active");
    if (active && active.offsetParent) active.scrollIntoView({ block: "nearest" });
  });

  // If the list's (or the customer card's lower part's) request fails, the placeholder says so and
  // links to it, rather than loading for ever.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute || event.detail.successful) return;
    if (!elt.hasAttribute("data-list-loading") && !elt.hasAttribute("data-side-loading")) return;
    elt.setAttribute("aria-busy", "false");
    $all("[data-loading-text], .skeleton-rows, .side-skeleton", elt).forEach(function (el) { el.hidden = true; });
    $("[data-loading-failed]", elt).hidden = false;
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
    if (id === "shortcuts-dialog") fillShortcutForm();
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
    // Letters and signs go through the person's settings (off, or remapped); Enter is not a single character key.
    var action = event.key === "Enter" ? "open" : window.bankbuzzShortcuts.actionFor(event.key);
    switch (action) {
      case "next": moveFocus(1); break;
      case "prev": moveFocus(-1); break;
      case "open": {
        if (document.activeElement && document.activeElement !== document.body) { handled = false; break; }
        var row = focusedRow();
        var link = row && $(".row-link", row);
        if (link) link.click(); else handled = false;
        break;
      }
      case "select": {
        var current = focusedRow();
        var box = current && $(".row-select", current);
        if (box) {
          box.checked = !box.checked;
          updateBulkBar();
        }
        break;
      }
      case "assign": handled = clickShortcut("a"); break;
      case "resolve": handled = clickShortcut("e"); break;
      case "reply":
        if ($("#pane #tab-reply")) {
          selectTab("reply", false);
          if (replyBox()) replyBox().focus();
        } else handled = false;
        break;
      case "note":
        if (noteBox()) {
          selectTab("note", false);
          noteBox().focus();
        } else handled = false;
        break;
      case "search": {
        var search = $("#id_q");
        if (search) {
          search.focus();
          search.select();
        } else handled = false;
        break;
      }
      case "help": openDialog("shortcuts-dialog"); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // --- Shortcut settings: the form in the shortcuts dialog, and the keys the page shows ------------

  var ACTION_OF_DEFAULT = {};
  Object.keys(window.bankbuzzShortcuts.defaults).forEach(function (action) {
    ACTION_OF_DEFAULT[window.bankbuzzShortcuts.defaults[action]] = action;
  });

  // aria-keyshortcuts and the <kbd> hints follow the settings; with shortcuts off they say nothing.
  function showShortcuts(root) {
    var settings = window.bankbuzzShortcuts.load();
    $all("[aria-keyshortcuts], [data-shortcut-default]", root).forEach(function (el) {
      if (el.classList.contains("suggestion")) return; // digits: on or off, never remapped
      var original = el.getAttribute("data-shortcut-default") || el.getAttribute("aria-keyshortcuts");
      var action = ACTION_OF_DEFAULT[original];
      if (!action) return;
      el.setAttribute("data-shortcut-default", original);
      if (settings.enabled) el.setAttribute("aria-keyshortcuts", settings.keys[action]);
      else el.removeAttribute("aria-keyshortcuts");
    });
    $all("kbd[data-key]", root).forEach(function (kbd) {
      var key = settings.keys[kbd.getAttribute("data-key")];
      if (key) kbd.textContent = key;
    });
    $all("[data-shortcut-hint]", root).forEach(function (el) { el.hidden = !settings.enabled; });
  }

  function fillShortcutForm() {
    var form = $("#shortcut-settings");
    if (!form) return;
    var settings = window.bankbuzzShortcuts.load();
    form.elements.enabled.checked = settings.enabled;
    $all("input[data-action]", form).forEach(function (input) {
      input.value = settings.keys[input.getAttribute("data-action")];
      input.disabled = !settings.enabled;
    });
  }

  function saveShortcutForm() {
    var form = $("#shortcut-settings");
    var error = $("#shortcut-error");
    var keys = {};
    var problem = "";
    $all("input[data-action]", form).forEach(function (input) {
      var key = input.value;
      var label = input.getAttribute("aria-label");
      if (key.length !== 1 || key === " ") problem = problem || label + ": type one letter, digit or sign.";
      else if (Object.keys(keys).some(function (a) { return keys[a] === key; })) problem = problem || "“" + key + "” is already used: choose another key.";
      keys[input.getAttribute("data-action")] = key;
      input.setAttribute("aria-invalid", problem && input.value === key ? "true" : "false");
    });
    error.textContent = problem;
    error.hidden = !problem;
    if (problem) return;
    window.bankbuzzShortcuts.save({ enabled: form.elements.enabled.checked, keys: keys });
  }

  document.addEventListener("change", function (event) {
    if (!event.target.closest || !event.target.closest("#shortcut-settings")) return;
    if (event.target.name === "enabled") {
      $all("#shortcut-settings input[data-action]").forEach(function (input) { input.disabled = !event.target.checked; });
    }
    saveShortcutForm();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-shortcuts-reset]")) return;
    window.bankbuzzShortcuts.save({ enabled: true, keys: window.bankbuzzShortcuts.defaults });
    fillShortcutForm();
    $("#shortcut-error").hidden = true;
  });
  document.addEventListener("bankbuzz:shortcuts-changed", function () { showShortcuts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { showShortcuts(event.detail.target); });
  fillShortcutForm();
  showShortcuts(document);

  // --- Back to the list, where the list and the conversation do not fit side by side ---------------
  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("[data-back-to-list]");
    if (!back || !$("#rows")) return;
    event.preventDefault();
    var id = openConversationId();
    $("#pane").innerHTML = "";
    history.pushState({}, "", back.getAttribute("href") + window.location.search);
    markActive();
    var link = id && $("#row-link-" + id);
    if (link) link.focus();
  });

  // --- The reply composer ----------------------------------------------------------------------------
  // Counting, saved replies and copying text in. The server checks everything again.

  var URL_RE = /https?:\/\/\S+/gi;
  var X_URL_LENGTH = 23;

  function xWeight(ch) {
    var code = ch.codePointAt(0);
    if ((code <= 4351) || (code >= 8192 && code <= 8205) || (code >= 8208 && code <= 8223) ||
        (code >= 8242 && code <= 8247)) return 1;
    return 2;
  }

  function networkLength(network, text) {
    if (network !== "x") return Array.from(text).length;
    var total = 0;
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      Array.from(text.slice(last, match.index)).forEach(function (ch) { total += xWeight(ch); });
      total += X_URL_LENGTH;
      last = match.index + match[0].length;
    }
    Array.from(text.slice(last)).forEach(function (ch) { total += xWeight(ch); });
    return total;
  }

  function updateCounter() {
    var form = $("#pane #reply-form");
    var box = replyBox();
    var out = $("#pane #reply-count");
    if (!form || !box || !out) return;
    var channel = $('input[name="channel"]:checked', form);
    var limit = channel ? parseInt(channel.getAttribute("data-limit"), 10) : NaN;
    var used = networkLength(form.getAttribute("data-network"), box.value.trim());
    out.textContent = isNaN(limit) ? used + " characters" : used + " / " + limit;
    out.classList.toggle("is-over", !isNaN(limit) && used > limit);
    var send = $("#pane #reply-send");
    if (send) send.disabled = !isNaN(limit) && used > limit;
  }

  function savedItems() { return $all("#pane .saved-item"); }

  function insertReply(text, savedId) {
    var box = replyBox();
    if (!box) return;
    selectTab("reply", false);
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    if (!box.value.trim()) { start = 0; end = box.value.length; }
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
    box.focus();
    box.selectionStart = box.selectionEnd = start + text.length;
    var hidden = $("#pane #reply-saved");
    if (hidden && savedId) hidden.value = savedId;
    updateCounter();
  }

  function filterSaved(query) {
    var list = $("#pane #saved-list");
    if (!list) return;
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    savedItems().forEach(function (item) {
      var haystack = item.getAttribute("data-search") + " " + item.getAttribute("data-body").toLowerCase();
      var match = words.every(function (w) { return haystack.indexOf(w.replace(/^;/, "")) !== -1; });
      item.hidden = !match;
      if (match) shown += 1;
    });
    list.hidden = shown === 0;
  }

  function pickSaved(item) {
    insertReply(item.getAttribute("data-body"), item.getAttribute("data-saved-id"));
    var search = $("#pane #saved-search");
    if (search) search.value = "";
    var list = $("#pane #saved-list");
    if (list) list.hidden = true;
  }

  // ";shortcut" followed by a space or Tab, typed in the reply, becomes that saved reply.
  function expandShortcut(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|\s);([A-Za-z0-9_-]{1,30})\s$/.exec(before);
    if (!match) return false;
    var key = match[2].toLowerCase();
    var item = savedItems().filter(function (i) { return i.getAttribute("data-shortcut") === key; })[0];
    if (!item) return false;
    var cut = before.length - key.length - 2;
    box.selectionStart = cut;
    box.selectionEnd = before.length;
    insertReply(item.getAttribute("data-body"), item.getAttribute("data-saved-id"));
    return true;
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.id === "reply-text") {
      expandShortcut(target);
      updateCounter();
    }
    if (target.id === "saved-search") filterSaved(target.value);
  });

  document.addEventListener("change", function (event) {
    if (event.target.name === "channel" && event.target.closest("#reply-form")) updateCounter();
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.id === "saved-search") filterSaved(event.target.value);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "saved-search" || (target.classList && target.classList.contains("saved-item"))) {
      var visible = savedItems().filter(function (i) { return !i.hidden; });
      var index = visible.indexOf(target);
      if (event.key === "ArrowDown" && visible.length) {
        visible[Math.min(visible.length - 1, index + 1)].focus();
        event.preventDefault();
      } else if (event.key === "ArrowUp" && index > 0) {
        visible[index - 1].focus();
        event.preventDefault();
      } else if (event.key === "Enter") {
        var chosen = index >= 0 ? target : visible[0];
        if (chosen) pickSaved(chosen);
        event.preventDefault();
      } else if (event.key === "Escape") {
        var list = $("#pane #saved-list");
        if (list) list.hidden = true;
      }
    }
    if (target.id === "reply-text" && event.key === "Tab" && !event.shiftKey) {
      // Tab after ";shortcut" expands it instead of leaving the field.
      var box = target;
      var pos = box.selectionStart;
      box.value = box.value.slice(0, pos) + " " + box.value.slice(pos);
      box.selectionStart = box.selectionEnd = pos + 1;
      if (expandShortcut(box)) event.preventDefault();
      else {
        box.value = box.value.slice(0, pos) + box.value.slice(pos + 1);
        box.selectionStart = box.selectionEnd = pos;
      }
    }
  });

  document.addEventListener("click", function (event) {
    var item = event.target.closest(".saved-item");
    if (item) pickSaved(item);
    // An expert's proposed reply (escalations panel), or a reply a lead sent back.
    var copy = event.target.closest("[data-copy-into-composer], [data-copy-text]");
    if (copy) {
      var source = document.getElementById(
        copy.getAttribute("data-copy-into-composer") || copy.getAttribute("data-copy-text")
      );
      var box = replyBox();
      if (source && box) {
        box.value = "";
        insertReply(source.value, "");
      }
    }
    var list = $("#pane #saved-list");
    if (list && !event.target.closest(".saved-picker")) list.hidden = true;
  });

  // "Waiting for the rate limit: retrying in 42 s".
  function tickCountdowns() {
    $all("[data-until]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-until")) - Date.now()) / 1000);
      el.textContent = left > 0 ? "(retrying in " + left + " s)" : "(retrying now)";
    });
  }
  setInterval(tickCountdowns, 1000);

  document.addEventListener("htmx:afterSettle", function () {
    updateCounter();
    tickCountdowns();
  });

  document.addEventListener("DOMContentLoaded", function () {
    markActive();
    updateBulkBar();
    scrollThreadToEnd();
    updateCounter();
    if ($("#pane #guard-block") || $("#pane #reply-error")) selectTab("reply", false);
  });
})();
