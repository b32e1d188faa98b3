// Starts Swagger UI on the API docs page. A file, not an inline script: the CSP allows no inline code.
(function () {
  "use strict";
  function start() {
    var node = document.getElementById("swagger-ui");
    if (!node || typeof window.SwaggerUIBundle !== "function") return;
    var csrf = document.body.getAttribute("hx-headers");
    var token = "";
    try { token = JSON.parse(csrf)["X-CSRFToken"] || ""; } catch (e) { token = ""; }
    window.SwaggerUIBundle({
      url: node.getAttribute("data-schema-url"),
      domNode: node,
      deepLinking: true,
      // The session's CSRF token, so "Try it out" works for writes from the browser.
      requestInterceptor: function (request) {
        if (token) request.headers["X-CSRFToken"] = token;
        return request;
      },
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
