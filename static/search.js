// Search results: tell the server a result was opened, so the search is not counted as unmet demand.
// A beacon survives the navigation it accompanies; no inline scripts (the CSP forbids them).
(function () {
  "use strict";
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; } catch (error) { return ""; }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".hits a[href^='/items/']");
    var list = link && link.closest("[data-search-token]");
    if (!list || !navigator.sendBeacon) { return; }
    var data = new FormData();
    data.append("sid", list.getAttribute("data-search-token"));
    data.append("q", list.getAttribute("data-search-q") || "");
    data.append("csrf_token", csrfToken());
    navigator.sendBeacon(list.getAttribute("data-opened-url"), data);
  });
})();
