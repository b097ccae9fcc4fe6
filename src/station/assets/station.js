// chartmill verification station: the keys. The pages work without it
// (every action is a plain form); this only makes them keyboard-first.
//
//   Enter        in a value's box: confirm it as read (unchanged) or save what was typed
//   Tab          the next flagged field (Shift+Tab: back, as usual)
//   Alt+W        waive the flag of the field you are on (choose the reason, Enter)
//   Esc          leave the box, restoring what was read
//   a            approve and open the next chart (outside a box)
//   n            the next chart;  f  the first flagged field;  w  the first flag's waiver
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var zoom = document.getElementById("zoom");
  var zoomField = document.getElementById("zoomfield");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("form.value input.v"));
  var flagged = boxes.filter(function (b) { return b.form.classList.contains("flagged"); });

  function waiverFor(field) {
    var forms = document.querySelectorAll("form.waive");
    for (var i = 0; i < forms.length; i++) {
      if (!field || forms[i].dataset.field === field || (forms[i].dataset.field || "").indexOf(field) === 0) {
        return forms[i].querySelector("select");
      }
    }
    return null;
  }

  boxes.forEach(function (box) {
    box.addEventListener("focus", function () {
      if (zoom && box.dataset.zoom && zoom.getAttribute("src") !== box.dataset.zoom) {
        zoom.setAttribute("src", box.dataset.zoom);
        if (zoomField) { zoomField.textContent = box.form.dataset.field; }
      }
      box.select();
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Tab" && !e.shiftKey && flagged.length) {
        var next = flagged[flagged.indexOf(box) + 1];
        if (next) { e.preventDefault(); next.focus(); }
      } else if (e.key === "Escape") {
        box.value = box.dataset.original;
        box.blur();
      } else if (e.altKey && (e.key === "w" || e.key === "W")) {
        var sel = waiverFor(box.form.dataset.field);
        if (sel) { e.preventDefault(); sel.focus(); }
      }
    });
  });

  document.querySelectorAll("form.waive select").forEach(function (sel) {
    sel.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); sel.form.requestSubmit(); }
    });
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) { return; }
    if (e.key === "a") {
      var approve = document.querySelector("#approve button");
      if (approve && !approve.disabled) { e.preventDefault(); approve.form.requestSubmit(); }
    } else if (e.key === "n") {
      e.preventDefault(); window.location.href = "/next";
    } else if (e.key === "f" && flagged.length) {
      e.preventDefault(); flagged[0].focus();
    } else if (e.key === "w") {
      var s = waiverFor(null);
      if (s) { e.preventDefault(); s.focus(); }
    }
  });

  // Start on the first flagged field (or on the refused one, to fix it).
  var refused = document.getElementById("refused");
  var start = flagged[0];
  if (refused) {
    var typed = boxes.filter(function (b) { return b.value !== b.dataset.original; })[0];
    if (typed) { start = typed; }
  }
  if (start && !start.readOnly) { start.focus(); }
});
