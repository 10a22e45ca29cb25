// Keyboard moves for the review pages; the pages work without it.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target && e.target.tagName;
    return t === "INPUT" || t === "TEXTAREA" || t === "SELECT";
  }
  function go(id) {
    var a = document.getElementById(id);
    if (a) { window.location.href = a.href; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.app"));
    var at = -1;
    function select(i) {
      if (!rows.length) { return; }
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (r, k) { r.classList.toggle("selected", k === at); });
      rows[at].scrollIntoView({ block: "nearest" });
    }
    // The reviewer's name is remembered in this browser.
    var reviewer = document.getElementById("reviewer");
    if (reviewer && !reviewer.value && window.localStorage) {
      reviewer.value = localStorage.getItem("prescreen.reviewer") || "";
    }
    var form = document.getElementById("decision-form");
    if (form) {
      form.addEventListener("submit", function () {
        if (reviewer && reviewer.value && window.localStorage) {
          localStorage.setItem("prescreen.reviewer", reviewer.value);
        }
        // An empty message for a return gets the picked reasons' messages.
        var msg = document.getElementById("message");
        var ret = form.querySelector("input[name=choice][value=return]");
        if (msg && ret && ret.checked && !msg.value.trim()) {
          var parts = [];
          form.querySelectorAll("input[name=codes]:checked").forEach(function (c) {
            if (c.dataset.message) { parts.push(c.dataset.message); }
          });
          msg.value = parts.join("\n");
        }
      });
    }
    document.addEventListener("keydown", function (e) {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (rows.length) {
        if (e.key === "j" || e.key === "ArrowDown") { select(at + 1); e.preventDefault(); }
        else if (e.key === "k" || e.key === "ArrowUp") { select(at - 1); e.preventDefault(); }
        else if (e.key === "Enter" && at >= 0) {
          var a = rows[at].querySelector("a.open");
          if (a) { window.location.href = a.href; }
        }
      } else {
        if (e.key === "j" || e.key === "n") { go("next"); }
        else if (e.key === "k" || e.key === "p") { go("prev"); }
        else if (e.key === "u" || e.key === "Escape") { go("back"); }
      }
    });
  });
})();
