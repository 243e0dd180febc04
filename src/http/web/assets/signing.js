// attestera: the approver's signing key in this browser.
//
// "Min signeringsnyckel" makes a key pair with WebCrypto (Ed25519, or ECDSA
// P-256 where the browser lacks Ed25519) whose private half is
// non-extractable, keeps it in IndexedDB, and sends the public key with a
// proof of possession (a signature over the server's challenge, the name
// and the role). "Granska och godkänn" signs the statement the page shows,
// with that key or with a key file read here (never uploaded). The server
// checks every signature exactly as the API does; nothing here is trusted.
(function () {
  "use strict";

  var DB_NAME = "attestera";
  var STORE = "signeringsnycklar";
  var PROOF_CONTEXT = "attestera-enrolment-v1";

  // ---- IndexedDB --------------------------------------------------------

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "fingerprint" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function withStore(mode, action) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var req = action(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(req && req.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function allKeys() {
    return withStore("readonly", function (s) { return s.getAll(); });
  }

  function putKey(record) {
    return withStore("readwrite", function (s) { return s.put(record); });
  }

  function deleteKey(fingerprint) {
    return withStore("readwrite", function (s) { return s.delete(fingerprint); });
  }

  // A key the server never recorded (its request was refused at once, or
  // the page was closed before it was sent) is removed after this long.
  var UNKNOWN_KEY_MS = 10 * 60 * 1000;

  // ---- Encodings ----------------------------------------------------------

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function toBase64(buf) {
    var s = "";
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s);
  }

  function fromBase64(text) {
    var bin = atob(text.replace(/\s+/g, ""));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // RFC 4648 base32 without padding, as the server's Kontrollkod.
  function base32(bytes) {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    var out = "", bits = 0, value = 0;
    bytes.forEach(function (b) {
      value = (value << 8) | b;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    });
    if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
    return out;
  }

  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }

  // The Kontrollkod: the first 100 bits of SHA-256 of the public key
  // (SubjectPublicKeyInfo), base32, in groups of four.
  function checkCode(spki) {
    return sha256(spki).then(function (d) {
      return base32(d).slice(0, 20).match(/.{4}/g).join(" ");
    });
  }

  function pemBody(text, label) {
    var re = new RegExp("-----BEGIN " + label + "-----([\\s\\S]*?)-----END " + label + "-----");
    var m = re.exec(text);
    return m ? fromBase64(m[1]) : null;
  }

  // ---- DER, only as much as key files need --------------------------------

  function derRead(bytes, pos) {
    var tag = bytes[pos], len = bytes[pos + 1], at = pos + 2;
    if (len & 0x80) {
      var n = len & 0x7f;
      len = 0;
      for (var i = 0; i < n; i++) len = len * 256 + bytes[at + i];
      at += n;
    }
    if (at + len > bytes.length) throw new Error("der");
    return { tag: tag, start: at, end: at + len, next: at + len };
  }

  function derChildren(bytes, node) {
    var out = [], pos = node.start;
    while (pos < node.end) {
      var c = derRead(bytes, pos);
      out.push(c);
      pos = c.next;
    }
    return out;
  }

  function oid(bytes, node) { return hex(bytes.slice(node.start, node.end)); }
  function value(bytes, node) { return bytes.slice(node.start, node.end); }
  function integer(bytes, node) {
    var v = 0;
    for (var i = node.start; i < node.end; i++) v = v * 256 + bytes[i];
    return v;
  }

  var OID_PBES2 = "2a864886f70d01050d";
  var OID_PBKDF2 = "2a864886f70d01050c";
  var OID_HMAC_SHA256 = "2a864886f70d0209";
  var OID_AES256_CBC = "60864801650304012a";
  var OID_ED25519 = "2b6570";

  // An EncryptedPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)
  // opened with the passphrase: the PKCS#8 DER.
  function decryptKeyFile(der, passphrase) {
    var top = derChildren(der, derRead(der, 0));
    var alg = derChildren(der, top[0]);
    if (oid(der, alg[0]) !== OID_PBES2) return Promise.reject(new Error("unsupported"));
    var params = derChildren(der, alg[1]);
    var kdf = derChildren(der, params[0]);
    var scheme = derChildren(der, params[1]);
    if (oid(der, kdf[0]) !== OID_PBKDF2 || oid(der, scheme[0]) !== OID_AES256_CBC) {
      return Promise.reject(new Error("unsupported"));
    }
    var kdfParams = derChildren(der, kdf[1]);
    var salt = value(der, kdfParams[0]);
    var iterations = integer(der, kdfParams[1]);
    var prf = kdfParams.filter(function (n) { return n.tag === 0x30; })[0];
    if (prf && oid(der, derChildren(der, prf)[0]) !== OID_HMAC_SHA256) {
      return Promise.reject(new Error("unsupported"));
    }
    var iv = value(der, scheme[1]);
    var data = value(der, top[1]);
    return crypto.subtle.importKey("raw", new TextEncoder().encode(passphrase), "PBKDF2", false, ["deriveKey"])
      .then(function (base) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", salt: salt, iterations: iterations, hash: "SHA-256" },
          base, { name: "AES-CBC", length: 256 }, false, ["decrypt"]);
      })
      .then(function (aes) { return crypto.subtle.decrypt({ name: "AES-CBC", iv: iv }, aes, data); })
      .then(function (plain) { return new Uint8Array(plain); }, function () { throw new Error("passphrase"); });
  }

  // WebCrypto takes Ed25519 keys as PKCS#8 v1; ring writes v2 (with the
  // public key). The seed is the same: rebuild v1 around it.
  function pkcs8V1(der) {
    var top = derChildren(der, derRead(der, 0));
    var alg = derChildren(der, top[1]);
    if (oid(der, alg[0]) !== OID_ED25519) return der;
    var inner = value(der, top[2]);
    var seed = value(inner, derRead(inner, 0));
    var prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    var out = new Uint8Array(prefix.length + seed.length);
    out.set(prefix);
    out.set(seed, prefix.length);
    return out;
  }

  function importSigningKey(pkcs8) {
    return crypto.subtle.importKey("pkcs8", pkcs8V1(pkcs8), { name: "Ed25519" }, false, ["sign"])
      .then(function (k) { return { privateKey: k, alg: "ed25519" }; }, function () {
        return crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])
          .then(function (k) { return { privateKey: k, alg: "ecdsa-p256-sha256" }; });
      });
  }

  // ---- Keys and signatures -------------------------------------------------

  function makeKey() {
    return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
      .then(function (pair) { return { pair: pair, alg: "ed25519" }; }, function () {
        return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
          .then(function (pair) { return { pair: pair, alg: "ecdsa-p256-sha256" }; });
      });
  }

  // WebCrypto's ECDSA signature is r‖s; the server verifies ASN.1 DER.
  function derSignature(raw) {
    function intDer(b) {
      var i = 0;
      while (i < b.length - 1 && b[i] === 0) i++;
      b = b.slice(i);
      if (b[0] & 0x80) { var p = new Uint8Array(b.length + 1); p.set(b, 1); b = p; }
      var out = new Uint8Array(b.length + 2);
      out[0] = 0x02; out[1] = b.length; out.set(b, 2);
      return out;
    }
    var r = intDer(raw.slice(0, 32)), s = intDer(raw.slice(32));
    var seq = new Uint8Array(2 + r.length + s.length);
    seq[0] = 0x30; seq[1] = r.length + s.length;
    seq.set(r, 2); seq.set(s, 2 + r.length);
    return seq;
  }

  function sign(key, alg, bytes) {
    if (alg === "ed25519") {
      return crypto.subtle.sign({ name: "Ed25519" }, key, bytes).then(function (s) { return new Uint8Array(s); });
    }
    return crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, bytes)
      .then(function (s) { return derSignature(new Uint8Array(s)); });
  }

  function say(el, text) { if (el) { el.textContent = text; el.hidden = !text; } }

  // ---- "Min signeringsnyckel" ----------------------------------------------

  function keyPage(form) {
    var status = document.getElementById("skapa-status");
    var here = document.getElementById("denna-webblasare");
    allKeys().then(function (keys) {
      var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-key]"));
      var removed = [];
      var known = keys.filter(function (k) {
        var row = rows.filter(function (r) { return r.getAttribute("data-key") === k.fingerprint; })[0];
        if (!row) {
          if (!(Date.now() - Date.parse(k.created) < UNKNOWN_KEY_MS)) removed.push(deleteKey(k.fingerprint));
          return false;
        }
        row.querySelector(".this-browser").hidden = false;
        addRemoveButton(row, k);
        return true;
      });
      // Marks the page once this browser's keys are sorted out (tests wait for it).
      Promise.all(removed).then(function () { here.setAttribute("data-keys-checked", String(known.length)); });
      if (known.length) {
        Promise.all(known.map(function (k) { return checkCode(k.spki); })).then(function (codes) {
          here.className = "notice";
          say(here, "Den här webbläsaren har " + (known.length === 1 ? "en signeringsnyckel" : known.length + " signeringsnycklar") +
            ", kontrollkod " + codes.join(", ") + ". Nyckeln kan användas men inte kopieras.");
          here.setAttribute("data-check-codes", codes.join(","));
        });
      }
    }, function () {
      here.className = "notice";
      say(here, "Webbläsaren låter inte sidan spara nycklar (privat läge?). Då kan ingen nyckel skapas här.");
    });

    // "Ta bort": the key leaves this browser for good (its certificate, if
    // any, should then be revoked by the administrator).
    function addRemoveButton(row, key) {
      var cell = row.lastElementChild;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary small";
      button.textContent = "Ta bort nyckeln från den här webbläsaren";
      button.addEventListener("click", function () {
        if (!window.confirm("Ta bort nyckeln från den här webbläsaren? Den kan inte tas tillbaka. Har den ett certifikat: be administratören återkalla det.")) return;
        deleteKey(key.fingerprint).then(function () {
          row.querySelector(".this-browser").hidden = true;
          button.remove();
          here.className = "notice";
          say(here, "Nyckeln är borttagen från den här webbläsaren.");
        });
      });
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(button);
    }

    form.addEventListener("submit", function (event) {
      var name = form.elements.namn.value.trim();
      var role = form.elements.roll.value.trim();
      if (!name || !role || !window.crypto || !crypto.subtle) return; // the server says what is missing
      event.preventDefault();
      var button = document.getElementById("skapa");
      button.disabled = true;
      say(status, "Skapar nyckeln …");
      var challenge = form.elements.utmaning.value;
      var made;
      makeKey().then(function (m) {
        made = m;
        return crypto.subtle.exportKey("spki", m.pair.publicKey);
      }).then(function (spkiBuf) {
        var spki = new Uint8Array(spkiBuf);
        var proof = PROOF_CONTEXT + "\nchallenge " + challenge + "\nname " + name + "\nrole " + role + "\n";
        return sign(made.pair.privateKey, made.alg, new TextEncoder().encode(proof)).then(function (sig) {
          return sha256(spki).then(function (fp) {
            return putKey({
              fingerprint: hex(fp), privateKey: made.pair.privateKey, publicKey: made.pair.publicKey,
              spki: spki, alg: made.alg, name: name, role: role, created: new Date().toISOString()
            }).then(function () {
              form.elements.namn.value = name;
              form.elements.roll.value = role;
              form.elements.publik_nyckel.value = toBase64(spki);
              form.elements.bevis.value = toBase64(sig);
              form.submit();
            });
          });
        });
      }).catch(function () {
        button.disabled = false;
        say(status, "Nyckeln kunde inte skapas i den här webbläsaren. Den behöver kunna skapa Ed25519- eller ECDSA P-256-nycklar och spara dem (inte privat läge). Prova en aktuell version av Edge, Chrome, Firefox eller Safari.");
      });
    });
  }

  // ---- "Granska och godkänn" ---------------------------------------------

  function reviewPage(box, form) {
    box.hidden = false;
    var documentId = box.getAttribute("data-document");
    var status = document.getElementById("nyckel-status");
    var failure = document.getElementById("uttalande-fel");
    var signer = null; // { key, alg, certificate, statement }

    function showStatement(key, alg, certificate, source) {
      say(failure, "");
      return fetch("/att-godkanna/" + documentId + "/uttalande?certifikat=" + encodeURIComponent(certificate),
        { credentials: "same-origin", headers: { accept: "application/json, application/problem+json" } })
        .then(function (r) {
          var type = r.headers.get("content-type") || "";
          if (r.redirected || type.indexOf("json") < 0) return { ok: false, body: { detail: "Du har loggats ut. Logga in igen och öppna dokumentet på nytt." } };
          return r.json().then(function (j) { return { ok: r.ok, body: j }; });
        })
        .then(function (answer) {
          if (!answer.ok) {
            signer = null;
            document.getElementById("uttalande").hidden = true;
            say(failure, answer.body.detail || "Uttalandet kunde inte tas fram.");
            return;
          }
          var d = answer.body;
          signer = { key: key, alg: alg, certificate: certificate, statement: d.statement };
          document.getElementById("uttalande-namn").textContent = d.name;
          document.getElementById("uttalande-roll").textContent = d.role;
          document.getElementById("uttalande-tid").textContent = d.signed_at;
          document.getElementById("uttalande-text").textContent = d.statement;
          document.getElementById("uttalande").hidden = false;
          say(status, source);
        })
        .catch(function () {
          signer = null;
          say(failure, "Uttalandet kunde inte hämtas från tjänsten. Ladda om sidan och försök igen.");
        });
    }

    var own = {}, ownOrder = [];
    document.querySelectorAll("#egna-certifikat li").forEach(function (li) {
      own[li.getAttribute("data-key")] = li.getAttribute("data-certificate");
      ownOrder.push(li.getAttribute("data-key"));
    });
    allKeys().then(function (keys) {
      // The newest certificate whose key this browser holds (the list is newest first).
      var usable = ownOrder.map(function (fp) {
        return keys.filter(function (k) { return k.fingerprint === fp; })[0];
      }).filter(Boolean);
      if (usable.length) {
        var k = usable[0];
        return checkCode(k.spki).then(function (code) {
          return showStatement(k.privateKey, k.alg, own[k.fingerprint],
            "Du godkänner med signeringsnyckeln i den här webbläsaren (kontrollkod " + code + ").");
        });
      }
      say(status, keys.length
        ? "Nyckeln i den här webbläsaren har inget giltigt certifikat: antingen har administratören inte utfärdat det än, eller så är det återkallat eller utgånget (se Min signeringsnyckel). Du kan också använda en nyckelfil nedan."
        : "Den här webbläsaren har ingen signeringsnyckel. Skapa en under Min signeringsnyckel, eller använd en nyckelfil nedan.");
    }, function () {
      say(status, "Webbläsaren låter inte sidan läsa sparade nycklar. Använd en nyckelfil nedan.");
    }).catch(function () {
      say(status, "");
      say(failure, "Uttalandet kunde inte hämtas från tjänsten. Ladda om sidan och försök igen.");
    });

    function readFile(input) {
      return new Promise(function (resolve, reject) {
        if (!input.files || !input.files[0]) { reject(new Error("missing")); return; }
        var r = new FileReader();
        r.onload = function () { resolve(String(r.result)); };
        r.onerror = function () { reject(r.error); };
        r.readAsText(input.files[0]);
      });
    }

    document.getElementById("anvand-nyckelfil").addEventListener("click", function () {
      var keyInput = document.getElementById("nyckelfil-fil");
      var certInput = document.getElementById("certifikat-fil");
      var passphrase = document.getElementById("losenfras").value;
      Promise.all([readFile(keyInput), readFile(certInput)]).then(function (texts) {
        var certDer = pemBody(texts[1], "CERTIFICATE");
        if (!certDer) throw new Error("certificate");
        var encrypted = pemBody(texts[0], "ENCRYPTED PRIVATE KEY");
        var plain = pemBody(texts[0], "PRIVATE KEY");
        if (!encrypted && !plain) throw new Error("key");
        var opened = encrypted ? decryptKeyFile(encrypted, passphrase) : Promise.resolve(plain);
        return opened.then(importSigningKey).then(function (imported) {
          return sha256(certDer).then(function (fp) {
            return showStatement(imported.privateKey, imported.alg, hex(fp),
              "Du godkänner med nyckelfilen. Den lästes här i webbläsaren och har inte skickats till tjänsten.");
          });
        });
      }).catch(function (e) {
        var words = {
          missing: "Välj både nyckelfilen och certifikatet.",
          certificate: "Certifikatfilen innehåller inget certifikat (-----BEGIN CERTIFICATE-----).",
          key: "Nyckelfilen innehåller ingen privat nyckel.",
          passphrase: "Fel lösenfras för nyckelfilen, eller en skadad fil.",
          unsupported: "Nyckelfilen är krypterad på ett sätt som webbläsaren inte kan öppna (bara PBKDF2 med SHA-256 och AES-256). Använd attestera approve på kommandoraden."
        };
        say(failure, words[e && e.message] || "Nyckelfilen kunde inte användas: den är ingen Ed25519- eller ECDSA P-256-nyckel.");
      });
    });

    form.addEventListener("submit", function (event) {
      if (!form.elements.las.checked) return; // the server asks for the box
      event.preventDefault();
      if (!signer) {
        say(failure, failure.textContent || "Det finns ingen nyckel att underteckna med. Skapa en under Min signeringsnyckel, eller använd en nyckelfil.");
        return;
      }
      var button = document.getElementById("godkann-knapp");
      button.disabled = true;
      sign(signer.key, signer.alg, new TextEncoder().encode(signer.statement)).then(function (sig) {
        form.elements.uttalande.value = signer.statement;
        form.elements.signatur.value = toBase64(sig);
        form.elements.algoritm.value = signer.alg;
        form.elements.certifikat.value = signer.certificate;
        form.submit();
      }, function () {
        button.disabled = false;
        say(failure, "Underskriften kunde inte göras med nyckeln i den här webbläsaren.");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var keyForm = document.getElementById("skapa-nyckel");
    if (keyForm) keyPage(keyForm);
    var box = document.getElementById("signering");
    var approveForm = document.getElementById("godkann");
    if (box && approveForm) reviewPage(box, approveForm);
  });
})();
