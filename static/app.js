// Small progressive enhancements. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";
  // Move focus to swapped-in error messages so keyboard and screen-reader users notice them.
  document.addEventListener("htmx:afterSwap", function (event) {
    var alert = event.detail.target && event.detail.target.querySelector("[role=alert]");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });

  // When a swap replaces the focused element, focus its replacement (or the first control of the
  // new content) instead of letting focus fall to <body>, where the next Tab starts over.
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select, textarea, [tabindex]";
  var remembered = null;

  function quoted(value) { return '"' + CSS.escape(value) + '"'; }

  function keyOf(element) {
    if (!element || element === document.body) { return null; }
    if (element.id) { return "#" + CSS.escape(element.id); }
    var selector = element.tagName.toLowerCase();
    if (element.name) { selector += "[name=" + quoted(element.name) + "]"; }
    if (element.tagName === "BUTTON" && element.value) { selector += "[value=" + quoted(element.value) + "]"; }
    var form = element.form || element.closest("form");
    if (form && form.id) { return "#" + CSS.escape(form.id) + " " + selector; }
    if (form && form.getAttribute("action")) { return "form[action=" + quoted(form.getAttribute("action")) + "] " + selector; }
    if (element.getAttribute("href")) { return "a[href=" + quoted(element.getAttribute("href")) + "]"; }
    return null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target, active = document.activeElement;
    remembered = null;
    if (target && active && active !== document.body && target.contains(active)) {
      remembered = { key: keyOf(active), targetId: target.id };
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement, memory = remembered;
    remembered = null;
    if (!memory || (active && active !== document.body && active.isConnected)) { return; }
    var candidates = memory.key ? Array.prototype.slice.call(document.querySelectorAll(memory.key)) : [];
    var region = memory.targetId && document.getElementById(memory.targetId);
    if (region) { candidates = candidates.concat(Array.prototype.slice.call(region.querySelectorAll(FOCUSABLE))); }
    // The first candidate that can really take focus (one inside a closed <details> cannot).
    candidates.some(function (candidate) { candidate.focus(); return document.activeElement === candidate; });
  });

  // On a slow phone the page can be used before htmx has wired up its triggers, and a filter chosen
  // or a word typed in that moment would be lost: the results would not follow the controls. Once
  // htmx is ready, replay the events of every control that no longer shows what the page was served with.
  function isDirty(control) {
    if (control.type === "file" || control.type === "hidden") { return false; }
    if (control.type === "checkbox" || control.type === "radio") { return control.checked !== control.defaultChecked; }
    if (control.type === "select-one") {
      // With no option marked selected, the page was served showing the first one.
      var served = 0;
      Array.prototype.forEach.call(control.options, function (option, index) { if (option.defaultSelected) { served = index; } });
      return control.options.length > 0 && control.selectedIndex !== served;
    }
    if (control.type === "select-multiple") {
      return Array.prototype.some.call(control.options, function (option) { return option.selected !== option.defaultSelected; });
    }
    return "defaultValue" in control && control.value !== control.defaultValue;
  }

  // htmx's "input changed" takes the value it finds at start-up as already seen, so the replay passes
  // through the served value first. Both steps run in one task: nothing is painted in between, and a
  // delayed trigger sends one request, for what the user typed.
  function replayTyping(control) {
    var typed = control.value, start = control.selectionStart, end = control.selectionEnd;
    control.value = control.defaultValue;
    control.dispatchEvent(new Event("input", { bubbles: true }));
    control.value = typed;
    try { control.setSelectionRange(start, end); } catch (error) { /* this input type has no caret */ }
    control.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function replayEarlyChanges() {
    document.querySelectorAll("input, select, textarea").forEach(function (control) {
      if (!isDirty(control)) { return; }
      var chosen = /^(checkbox|radio|select-one|select-multiple)$/.test(control.type);  // a textarea's type is "textarea"
      if (chosen) { control.dispatchEvent(new Event("change", { bubbles: true })); } else { replayTyping(control); }
    });
  }

  if (window.htmx) {
    var replayed = false;
    htmx.onLoad(function (element) {
      if (element === document.body && !replayed) { replayed = true; replayEarlyChanges(); }
    });
  }
})();
