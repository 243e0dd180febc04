// The verdict page is the printed report: its technical details are
// printed too, so every closed <details> opens for printing and closes
// again afterwards. Without JavaScript the print style shows them where the
// browser lets it.
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(
      document.querySelectorAll("details:not([open])"),
      function (d) { d.open = true; return true; }
    );
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
