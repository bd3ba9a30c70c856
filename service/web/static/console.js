// Aftercare console: small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  var PAUSE_KEY = "aftercare.queue.refresh-paused";

  // One polite live region (#announcer, empty at load) says what changed; setting the same text twice is
  // still read out because the region is emptied first.
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // A confirmation shown after a form (a flash) was already in the page when it loaded, so screen readers
  // would not read it: copy it into the live region once the page is ready.
  function announceFlashes() {
    var messages = document.querySelectorAll("#flashes [data-announce]");
    var text = Array.prototype.map.call(messages, function (m) { return m.textContent.trim(); }).join(" ");
    if (text) window.setTimeout(function () { announce(text); }, 250);
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function countsOf(rows) {
    return {
      cases: parseInt(rows.dataset.cases || "0", 10),
      flags: parseInt(rows.dataset.flags || "0", 10),
      critical: parseInt(rows.dataset.critical || "0", 10)
    };
  }

  function describe(counts) {
    if (!counts.flags) return "Queue updated: no open flags.";
    return "Queue updated: " + plural(counts.cases, "patient", "patients") + " with " +
      plural(counts.flags, "open flag", "open flags") + ", " + counts.critical + " critical.";
  }

  function focusKeyOf(element, rows) {
    if (!element || !rows.contains(element)) return null;
    var keyed = element.closest("[data-focus-key]");
    if (!keyed) return null;
    var item = keyed.closest("[data-flag-id]");
    var row = keyed.closest("tr");
    return {
      key: keyed.dataset.focusKey,
      flag: item ? item.dataset.flagId : null,
      patient: row ? row.dataset.patientId : null,
      index: row ? Array.prototype.indexOf.call(rows.rows, row) : 0
    };
  }

  function byKey(rows, key) {
    return key ? rows.querySelector('[data-focus-key="' + key.replace(/["\\]/g, "") + '"]') : null;
  }

  // Put the fresh rows in place, row by row (a row is a patient): a row whose markup did not change is
  // left exactly where it is, so the element that has focus is not even touched unless its row changed.
  function updateRows(rows, fresh) {
    var existing = {};
    Array.prototype.forEach.call(rows.rows, function (row) {
      if (row.dataset.patientId) existing[row.dataset.patientId] = row;
    });
    var wanted = Array.prototype.map.call(fresh.rows, function (row) {
      var old = row.dataset.patientId && existing[row.dataset.patientId];
      return old && old.outerHTML === row.outerHTML ? old : document.importNode(row, true);
    });
    wanted.forEach(function (row, index) {
      var here = rows.rows[index];
      if (here !== row) rows.insertBefore(row, here || null);
    });
    while (rows.rows.length > wanted.length) rows.deleteRow(wanted.length);
  }

  // After the rows were redrawn: keep focus on what had it (the same flag's link or button), else the nearest
  // thing that still exists, and say so when the flag itself has left the queue.
  function restoreFocus(rows, was) {
    if (!was) return;
    var target = byKey(rows, was.key);
    if (target) { if (document.activeElement !== target) target.focus(); return; }
    target = was.flag && byKey(rows, "flag:" + was.flag);
    if (target) { target.focus(); return; }
    target = was.patient && byKey(rows, "patient:" + was.patient);
    var message = "The flag you were on has left the queue.";
    if (!target) {
      var row = rows.rows[Math.min(was.index, rows.rows.length - 1)];
      target = row && row.querySelector("[data-focus-key]");
    }
    if (!target) target = document.getElementById("queue-heading");
    if (target) target.focus();
    return message;
  }

  // The queue refreshes its rows every 30 s with the same filters; the refresh does not keep a session alive,
  // keeps keyboard focus where it was, says in the live region when the counts change, and can be paused.
  function startQueueRefresh() {
    var rows = document.getElementById("queue-rows");
    if (!rows || !rows.dataset.refreshUrl) return;
    var seconds = parseInt(rows.dataset.refreshSeconds || "30", 10);
    var stamp = document.getElementById("refreshed-at");
    var toggle = document.getElementById("refresh-toggle");
    var busy = false;
    var last = countsOf(rows);
    var lastHtml = rows.innerHTML.trim();
    var paused = false;
    try { paused = window.sessionStorage.getItem(PAUSE_KEY) === "1"; } catch (e) { paused = false; }

    function showState() {
      if (!toggle) return;
      toggle.hidden = false;
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      if (stamp && paused) stamp.textContent = "Auto-refresh is paused.";
    }

    function refresh() {
      if (busy || paused || document.hidden) return;
      busy = true;
      fetch(rows.dataset.refreshUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status === 401) { window.location.reload(); return null; }
          if (!response.ok) throw new Error("refresh failed: " + response.status);
          var critical = response.headers.get("X-Open-Critical");
          return response.text().then(function (html) { return { html: html, critical: critical }; });
        })
        .then(function (answer) {
          if (!answer || paused) return;
          var doc = new DOMParser().parseFromString(answer.html, "text/html");
          var fresh = doc.getElementById("queue-rows");
          var counts = doc.getElementById("queue-counts");
          var said = [];
          if (fresh && fresh.innerHTML.trim() !== lastHtml) {
            var was = focusKeyOf(document.activeElement, rows);
            updateRows(rows, fresh);
            lastHtml = rows.innerHTML.trim();
            ["cases", "flags", "critical"].forEach(function (name) { rows.dataset[name] = fresh.dataset[name] || "0"; });
            var moved = restoreFocus(rows, was);
            if (moved) said.push(moved);
            var now = countsOf(rows);
            if (now.cases !== last.cases || now.flags !== last.flags || now.critical !== last.critical) {
              said.push(describe(now));
            }
            last = now;
          }
          if (counts) document.getElementById("queue-counts").innerHTML = counts.innerHTML;
          var n = parseInt(answer.critical || "0", 10);
          document.title = (n > 0 ? "(" + n + " critical) " : "") + rows.dataset.title;
          if (stamp) stamp.textContent = "Last refreshed " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) + ".";
          if (said.length) announce(said.join(" "));
        })
        .catch(function () {
          if (stamp) stamp.textContent = "Could not refresh; will try again.";
        })
        .then(function () { busy = false; });
    }

    if (toggle) {
      toggle.addEventListener("click", function () {
        paused = !paused;
        try { window.sessionStorage.setItem(PAUSE_KEY, paused ? "1" : "0"); } catch (e) { /* private mode */ }
        showState();
        if (paused) {
          announce("Auto-refresh paused.");
        } else {
          if (stamp) stamp.textContent = "";
          announce("Auto-refresh on.");
          refresh();
        }
      });
    }
    showState();
    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  }

  // Back on the queue after acting on a flag from it (…/queue#flag-<id>): focus that flag again.
  function focusFlagFromAddress() {
    var match = /^#flag-([0-9a-f-]{36})$/.exec(window.location.hash);
    var rows = document.getElementById("queue-rows");
    if (!match || !rows) return;
    var target = byKey(rows, "flag:" + match[1]);
    if (target) target.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    startQueueRefresh();
    announceFlashes();
  });
  // After the browser has scrolled to the address's fragment (which moves focus to the document).
  window.addEventListener("load", function () { window.setTimeout(focusFlagFromAddress, 0); });
})();
