// Small behaviours the pages share. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";

  // Mark the open conversation in the list, also after the list refreshes itself.
  function markActive() {
    var pane = document.querySelector("#pane [data-conversation-id]");
    var current = pane ? pane.getAttribute("data-conversation-id") : null;
    document.querySelectorAll(".row[data-conversation]").forEach(function (row) {
      row.classList.toggle("is-active", row.getAttribute("data-conversation") === current);
    });
  }
  document.addEventListener("htmx:afterSettle", markActive);
})();
