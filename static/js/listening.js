/* The query form: Ctrl/Cmd+Enter in the query previews it. */
(function () {
  "use strict";
  function init() {
    var text = document.querySelector("#query-form textarea[name=text]");
    var button = document.getElementById("preview-button");
    if (!text || !button) { return; }
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        button.click();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
