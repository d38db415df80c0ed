// Small progressive enhancements. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";
  // Move focus to swapped-in error messages so keyboard and screen-reader users notice them.
  document.addEventListener("htmx:afterSwap", function (event) {
    var alert = event.detail.target && event.detail.target.querySelector("[role=alert]");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });
})();
