// Hotline console: a draft survives a reload (localStorage), drafts autosave to the server,
// and the proposed body follows the draft's facts. No libraries, nothing from the internet.
(function () {
  "use strict";
  var form = document.getElementById("appeal-form");
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var id = form.dataset.appealId;
  // a form prefilled from a call has its own key, so another call's unsaved typing stays apart
  var key = "hotline-draft-" + (form.dataset.draftKey || id || "new");
  var status = document.getElementById("autosave-status");
  var skip = { csrf_token: 1, action: 1, body_id: 1, override_reason: 1 };
  var dirty = false;

  function collect() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name]) return;
      out[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    return out;
  }
  function restore(data) {
    Object.keys(data).forEach(function (name) {
      var el = form.elements[name];
      if (!el || skip[name]) return;
      if (el.type === "checkbox") el.checked = !!data[name]; else el.value = data[name];
    });
  }
  function say(text) { status.textContent = text; status.hidden = false; }

  // Art. 7: the body complained about is asked only for a complaint.
  var typeSelect = form.elements.type;
  var complained = document.getElementById("complained-about-field");
  function showComplained() {
    if (complained && typeSelect) complained.hidden = typeSelect.value !== "complaint";
  }
  if (typeSelect) typeSelect.addEventListener("change", showComplained);

  try {
    var saved = localStorage.getItem(key);
    if (saved && !document.getElementById("form-message")) {
      restore(JSON.parse(saved));
      showComplained();
      say(form.dataset.restoredText);
      dirty = true;
    }
  } catch (e) { localStorage.removeItem(key); }

  form.addEventListener("input", function () {
    dirty = true;
    localStorage.setItem(key, JSON.stringify(collect()));
  });
  form.addEventListener("change", function () {
    dirty = true;
    localStorage.setItem(key, JSON.stringify(collect()));
  });
  form.addEventListener("submit", function () { localStorage.removeItem(key); });

  function showProposal(p) {
    var box = document.getElementById("proposal");
    if (!box) return;
    var lang = document.documentElement.lang;
    box.innerHTML = "";
    var reason = document.createElement("p");
    reason.id = "proposal-reason";
    if (p.body) {
      var line = document.createElement("p");
      var strong = document.createElement("strong");
      strong.id = "proposal-body";
      strong.textContent = lang === "en" ? p.body.name_en : p.body.name_uk;
      line.appendChild(strong);
      box.appendChild(line);
      var select = document.getElementById("body-select");
      if (select) select.value = String(p.body.id);
    }
    reason.textContent = lang === "en" ? p.reason_en : p.reason_uk;
    box.appendChild(reason);
    if (p.excluded && box.dataset.excludedText) {
      var excluded = document.createElement("p");
      excluded.id = "proposal-excluded";
      excluded.className = "muted";
      excluded.textContent = box.dataset.excludedText + ": " +
        (lang === "en" ? p.excluded.name_en : p.excluded.name_uk);
      box.appendChild(excluded);
    }
  }

  function autosave() {
    if (!id || !dirty) return;
    dirty = false;
    fetch("/api/appeals/" + id + "/draft", {
      method: "PUT", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(collect())
    }).then(function (r) {
      if (!r.ok) throw new Error("autosave " + r.status);
      localStorage.removeItem(key);
      say(form.dataset.savedText);
      return fetch("/api/appeals/" + id + "/proposal", { credentials: "same-origin" });
    }).then(function (r) { return r.json(); }).then(showProposal).catch(function () {
      dirty = true;  // kept in localStorage; try again on the next tick
    });
  }
  setInterval(autosave, 2000);
})();
