// The audit's progress page without a reload by hand: asks the service
// how far the audit has come, shows it in the <progress> and the live
// text, and reloads the page (which then shows the report) when it is done.
// Without this file the page's "Uppdatera" button does the same.
"use strict";

(function () {
  const box = document.getElementById("granskning");
  if (!box) {
    return;
  }
  const url = box.dataset.statusUrl;
  const bar = document.getElementById("forlopp");
  const text = document.getElementById("forlopp-text");
  let lastText = text ? text.textContent : "";

  function show(done, total) {
    if (bar && total > 0) {
      bar.max = total;
      bar.value = done;
      bar.textContent = done + " av " + total;
    }
    const words = "Granskar … " + done + " av " + total + " poster";
    // Only a changed sentence is written, so a screen reader is not
    // interrupted with the same words every second.
    if (text && words !== lastText) {
      text.textContent = words;
      lastText = words;
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) {
        // A session that has ended is sent to "Logga in" (HTML): the
        // reload below then shows that page instead of polling on.
        const json = (r.headers.get("content-type") || "").indexOf("application/json") === 0;
        return r.ok && json ? r.json() : { state: "unknown" };
      })
      .then(function (s) {
        if (s.state === "running") {
          show(s.done, s.total);
          setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        setTimeout(poll, 5000);
      });
  }
  setTimeout(poll, 500);
})();
