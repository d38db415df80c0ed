// The retro timer: counts down ten minutes. Loaded only on the retro page; no inline script (strict CSP).
(function () {
  "use strict";
  function format(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function setUp(box) {
    var total = parseInt(box.getAttribute("data-timer"), 10) || 600;
    var left = total, handle = null;
    var display = box.querySelector("[data-timer-display]");
    var status = box.querySelector("[data-timer-status]");
    var controls = box.querySelector("[data-timer-controls]");
    function show() {
      display.textContent = format(left);
      box.classList.toggle("timer-done", left === 0);
    }
    function stop() { if (handle) { clearInterval(handle); handle = null; } }
    function tick() {
      left = Math.max(0, left - 1);
      show();
      if (left === 0) { stop(); status.textContent = "Time is up."; }
      else if (left % 60 === 0) { status.textContent = format(left) + " left."; }
    }
    var actions = {
      start: function () { if (!handle && left > 0) { handle = setInterval(tick, 1000); status.textContent = "Timer started."; } },
      pause: function () { stop(); status.textContent = "Timer paused at " + format(left) + "."; },
      reset: function () { stop(); left = total; show(); status.textContent = "Timer reset."; }
    };
    controls.hidden = false;  // the buttons only make sense once this script runs
    controls.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-timer-action");
      if (actions[action]) { actions[action](); }
    });
    show();
  }
  document.querySelectorAll("[data-timer]").forEach(setUp);
})();
