// The submit form: show only the part for the chosen type, and an upload progress bar.
// Loaded from templates/submissions/submit.html; no inline scripts or styles (strict CSP).
(function () {
  "use strict";

  function form() { return document.getElementById("submission-form"); }

  // Without JavaScript every part shows; with it, only the chosen type's part.
  function showChosenType() {
    var f = form();
    if (!f) { return; }
    var chosen = f.querySelector("input[name=type]:checked");
    f.querySelectorAll(".type-part").forEach(function (part) {
      part.hidden = chosen !== null && part.getAttribute("data-type") !== chosen.value;
    });
  }

  function progressParts() {
    var f = form();
    return f && {
      box: f.querySelector("#upload-progress-box"),
      bar: f.querySelector("#upload-progress"),
      text: f.querySelector("#upload-percent")
    };
  }

  function hasFile(f) {
    var input = f.querySelector("input[type=file]");
    return input && input.files && input.files.length > 0;
  }

  document.addEventListener("change", function (event) {
    if (event.target.name === "type" && event.target.closest("#submission-form")) { showChosenType(); }
  });

  // Refuse obviously oversized uploads before sending megabytes the server will refuse.
  document.addEventListener("htmx:confirm", function (event) {
    var f = form();
    if (!f || event.target !== f || !hasFile(f)) { return; }
    var max = parseInt(f.getAttribute("data-max-bytes"), 10);
    var maxImages = parseInt(f.getAttribute("data-max-images"), 10);
    var files = f.querySelector("input[type=file]").files;
    var total = 0;
    for (var i = 0; i < files.length; i++) { total += files[i].size; }
    if (maxImages && files.length > maxImages) {
      event.preventDefault();
      window.alert("A photo sequence holds at most " + maxImages + " images; you chose " + files.length + ".");
    } else if (max && total > max) {
      event.preventDefault();
      window.alert((files.length > 1 ? "Those files are" : "That file is") + " larger than the " + Math.round(max / 1048576) + " MB limit.");
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var f = form();
    if (!f || event.target !== f || !hasFile(f)) { return; }
    var p = progressParts();
    p.bar.value = 0; p.bar.max = 100; p.text.textContent = "0%"; p.box.hidden = false;
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var f = form();
    if (!f || event.target !== f || !event.detail.lengthComputable) { return; }
    var p = progressParts();
    var percent = Math.round(100 * event.detail.loaded / event.detail.total);
    p.box.hidden = false;
    p.bar.max = event.detail.total;
    p.bar.value = event.detail.loaded;
    p.text.textContent = percent < 100 ? percent + "%" : "100%: checking the file…";
  });

  document.addEventListener("htmx:afterSwap", showChosenType);
  document.addEventListener("DOMContentLoaded", showChosenType);
  if (document.readyState !== "loading") { showChosenType(); }
})();
