/* Live wallboard: a snapshot arrives over Server-Sent Events after every change; the
   tables are redrawn from it, and waiting times tick locally between snapshots. */
(function () {
  "use strict";
  var STATES = ["available", "talking", "paused", "logged_out"];
  var labels = JSON.parse(document.getElementById("wb-labels").textContent);
  var status = document.getElementById("wb-status");
  var skew = 0; // server clock minus browser clock, seconds

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + " %"; }
  function secs(v) {
    if (v === null || v === undefined) return "—";
    var s = Math.max(0, Math.round(v));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function cell(text, cls, since) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (since) td.dataset.since = since;
    return td;
  }
  function setText(id, text) { document.getElementById(id).textContent = text; }
  function now() { return Date.now() / 1000 + skew; }

  function render(snap) {
    skew = snap.now - Date.now() / 1000;
    setText("t-waiting", snap.waiting_total);
    STATES.slice(0, 3).forEach(function (s) { setText("t-" + s, snap.agent_totals[s]); });
    setText("t-offered", snap.total.offered);
    setText("t-answered", snap.total.answered);
    setText("t-abandoned", snap.total.abandoned);
    setText("t-sl", pct(snap.total.service_level));
    setText("t-asa", secs(snap.total.asa_seconds));
    setText("t-aht", secs(snap.total.aht_seconds));

    var qbody = document.querySelector("#wb-queues tbody");
    var rows = snap.queues.map(function (q) {
      var tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      tr.appendChild(cell(q.queue));
      tr.appendChild(cell(q.waiting, "num waiting"));
      tr.appendChild(cell(q.oldest_since ? secs(snap.now - q.oldest_since) : "—", "num longest",
                          q.oldest_since));
      STATES.forEach(function (s) { tr.appendChild(cell(q.agents[s], "num " + s)); });
      var t = q.today;
      tr.appendChild(cell(t.offered, "num offered"));
      tr.appendChild(cell(t.answered, "num answered"));
      tr.appendChild(cell(t.abandoned, "num abandoned"));
      tr.appendChild(cell(pct(t.service_level), "num sl"));
      tr.appendChild(cell(secs(t.asa_seconds), "num asa"));
      tr.appendChild(cell(secs(t.aht_seconds), "num aht"));
      return tr;
    });
    qbody.replaceChildren.apply(qbody, rows);

    var abody = document.querySelector("#wb-agents tbody");
    var agents = snap.agents.map(function (a) {
      var tr = document.createElement("tr");
      tr.dataset.agent = a.agent;
      tr.className = "st-" + a.state;
      tr.appendChild(cell(a.name));
      tr.appendChild(cell(labels[a.state] || a.state, "state"));
      tr.appendChild(cell(a.reason || ""));
      tr.appendChild(cell(a.queues.join(", ")));
      tr.appendChild(cell(a.since ? secs(snap.now - a.since) : "", "num", a.since));
      return tr;
    });
    abody.replaceChildren.apply(abody, agents);
    document.body.dataset.wbUpdated = String(snap.now);
  }

  function tick() {
    document.querySelectorAll("#wb-queues td.longest[data-since], #wb-agents td[data-since]")
      .forEach(function (td) {
        if (td.dataset.since) td.textContent = secs(now() - Number(td.dataset.since));
      });
  }

  var source = new EventSource("/supervisor/wallboard/stream");
  source.addEventListener("snapshot", function (e) {
    var snap = JSON.parse(e.data);
    render(snap);
    status.textContent = snap.live_ok ? status.dataset.live : status.dataset.offline;
    status.classList.toggle("off", !snap.live_ok);
  });
  // The server could not compute the figures (database down): say so; the stream ends and
  // the browser reconnects, sharing the next computation with the other boards.
  source.addEventListener("failure", function (e) {
    var why = "";
    try { why = JSON.parse(e.data).error || ""; } catch (err) { why = ""; }
    status.textContent = status.dataset.failed + (why ? ": " + why : "");
    status.classList.add("off");
  });
  source.onerror = function () {
    if (status.textContent.indexOf(status.dataset.failed) === 0) return;
    status.textContent = status.dataset.offline;
    status.classList.add("off");
  };
  window.addEventListener("pagehide", function () { source.close(); });
  setInterval(tick, 1000);
})();
