// attestera's pages work without this file; it only adds what needs a
// script: focus on the error summary, and the warning before a session
// ends for inactivity (WCAG 2.2.1) with a button that keeps it alive.
"use strict";

(function () {
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }

  const body = document.body;
  const idle = Number(body.dataset.idleSecs || 0);
  const warning = document.getElementById("session-warning");
  if (!idle || !warning) {
    return;
  }
  const csrf = body.dataset.csrf || "";
  const warnBefore = Math.min(120, Math.floor(idle / 2));
  let warnTimer = 0;
  let endTimer = 0;

  function arm() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warning.hidden = true;
    warnTimer = setTimeout(function () {
      warning.hidden = false;
      const button = warning.querySelector("button");
      if (button) {
        button.focus();
      }
    }, (idle - warnBefore) * 1000);
    endTimer = setTimeout(function () {
      window.location.assign("/logga-in?tillbaka=" + encodeURIComponent(window.location.pathname));
    }, idle * 1000);
  }

  warning.querySelector("button").addEventListener("click", function () {
    fetch("/session/forlang", { method: "POST", headers: { "x-csrf-token": csrf }, credentials: "same-origin" })
      .then(function (r) {
        if (r.ok) {
          arm();
        } else {
          window.location.assign("/logga-in");
        }
      });
  });
  arm();
})();
