// "Importera från arkivet": without this file the form simply posts. With
// it, the files are sent with XMLHttpRequest so that a large batch shows
// its progress ("Skickar … %", then "Importerar …" while the service
// imports file by file), and the page the service answers is then shown.
"use strict";

(function () {
  const form = document.getElementById("import-form");
  const box = document.getElementById("import-progress");
  const bar = document.getElementById("import-bar");
  const status = document.getElementById("import-status");
  if (!form || !box || !bar || !status || !window.FormData) {
    return;
  }
  const button = form.querySelector("button[type=submit]");

  function say(text) {
    status.textContent = text;
  }

  function show(html) {
    document.open();
    document.write(html);
    document.close();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.responseType = "text";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        const percent = Math.floor((e.loaded / e.total) * 100);
        bar.value = percent;
        say("Skickar … " + percent + " %");
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");
      say("Importerar …");
    });
    xhr.addEventListener("load", function () {
      const type = xhr.getResponseHeader("content-type") || "";
      if (type.indexOf("text/html") === 0) {
        history.replaceState(null, "", xhr.responseURL || form.action);
        show(xhr.responseText);
      } else {
        // Never send the batch again on its own: some files may be in.
        say("Svaret kunde inte visas. Gå till Dokument och se vilka filer som kom in innan du försöker igen.");
        if (button) {
          button.disabled = false;
        }
      }
    });
    xhr.addEventListener("error", function () {
      box.hidden = false;
      say("Filerna kunde inte skickas. Kontrollera anslutningen och försök igen.");
      if (button) {
        button.disabled = false;
      }
    });
    box.hidden = false;
    bar.value = 0;
    say("Skickar … 0 %");
    if (button) {
      button.disabled = true;
    }
    xhr.send(new FormData(form));
  });
})();
