// Aftercare console: small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  // The queue refreshes its rows every 30 s with the same filters; the refresh does not keep a session alive.
  function startQueueRefresh() {
    var rows = document.getElementById("queue-rows");
    if (!rows || !rows.dataset.refreshUrl) return;
    var seconds = parseInt(rows.dataset.refreshSeconds || "30", 10);
    var stamp = document.getElementById("refreshed-at");
    var busy = false;

    function refresh() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(rows.dataset.refreshUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status === 401) { window.location.reload(); return null; }
          if (!response.ok) throw new Error("refresh failed: " + response.status);
          var critical = response.headers.get("X-Open-Critical");
          return response.text().then(function (html) { return { html: html, critical: critical }; });
        })
        .then(function (answer) {
          if (!answer) return;
          var doc = new DOMParser().parseFromString(answer.html, "text/html");
          var fresh = doc.getElementById("queue-rows");
          var counts = doc.getElementById("queue-counts");
          if (fresh) rows.innerHTML = fresh.innerHTML;
          if (counts) document.getElementById("queue-counts").innerHTML = counts.innerHTML;
          var n = parseInt(answer.critical || "0", 10);
          document.title = (n > 0 ? "(" + n + " critical) " : "") + rows.dataset.title;
          if (stamp) stamp.textContent = "Last refreshed " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) + ".";
        })
        .catch(function () {
          if (stamp) stamp.textContent = "Could not refresh; will try again.";
        })
        .then(function () { busy = false; });
    }

    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startQueueRefresh();
  });
})();
