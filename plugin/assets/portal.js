// Ringside portal: progressive enhancements only; every page works without this file.
(function () {
  "use strict";

  // Ask before destructive form posts (forms marked data-confirm).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Live fax progress: server-sent events, falling back to polling the JSON API.
  var box = document.getElementById("fax-progress");
  if (!box) {
    return;
  }
  var finalStates = { sent: true, failed: true };
  var labels = { converting: "converting", queued: "queued", dialing: "dialing", sending: "sending",
    retrying: "waiting to retry", sent: "sent", failed: "failed" };

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = value; }
  }

  function show(job) {
    var label = labels[job.state] || job.state;
    var state = document.getElementById("fax-state");
    if (state) {
      state.textContent = label;
      state.className = "badge state-" + label.replace(/ /g, "-");
    }
    var total = job.pages_total;
    text("fax-pages", total === null || total === undefined
      ? job.pages_sent + " pages" : job.pages_sent + " of " + total + " pages");
    var bar = document.getElementById("fax-pages-bar");
    if (bar) {
      bar.max = Math.max(total || 0, 1);
      bar.value = job.pages_sent;
    }
    text("fax-attempts", String(job.attempts));
    text("fax-status", job.status || "");
    text("fax-error", job.error || "");
    return !!finalStates[job.state];
  }

  function poll() {
    var url = box.getAttribute("data-poll");
    var timer = window.setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) {
          if (job && show(job)) { window.clearInterval(timer); }
        })
        .catch(function () { /* keep polling */ });
    }, 2000);
  }

  if (!window.EventSource) {
    poll();
    return;
  }
  var source = new EventSource(box.getAttribute("data-events"));
  var done = false;
  source.addEventListener("progress", function (event) {
    try {
      done = show(JSON.parse(event.data));
    } catch (e) {
      done = false;
    }
    if (done) { source.close(); }
  });
  source.onerror = function () {
    source.close();
    if (!done) { poll(); }
  };
})();

// Live count of new voicemail messages in the navigation (server-sent events).
(function () {
  "use strict";
  var badge = document.getElementById("voicemail-new");
  if (!badge || !window.EventSource) {
    return;
  }
  var source = new EventSource(badge.getAttribute("data-events"));
  source.addEventListener("count", function (event) {
    try {
      var n = JSON.parse(event.data)["new"];
      badge.textContent = n > 0 ? String(n) : "";
    } catch (e) {
      badge.textContent = "";
    }
  });
  source.onerror = function () {
    // The browser retries on its own; a page without the count still works.
  };
  // A page kept for the back button would otherwise hold its stream open, and a browser opens
  // only a few connections to one server: after a handful of pages, the next one would wait.
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
