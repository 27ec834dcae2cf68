// leadloop's keyboard shortcuts: an element with data-key="x" is clicked (or
// focused, for form fields) when x is pressed outside a text field. Written
// for this app; no library.
(function () {
  "use strict";
  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var target = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "DETAILS") {
      target.open = true;
      var first = target.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      target.scrollIntoView({ block: "nearest" });
    } else if (typing(target)) {
      target.focus();
    } else {
      target.click();
    }
  });
})();

// An offer that runs out (the quick-log's Undo): gone from the page when its time is up,
// as the server would refuse it then anyway.
(function () {
  "use strict";
  function expire() {
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-expires"));
      if (!isNaN(until)) {
        setTimeout(function () { el.remove(); }, Math.max(until - Date.now(), 0));
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", expire);
  else expire();
})();
