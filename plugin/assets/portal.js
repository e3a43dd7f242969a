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

  // Live fax progress: server-sent events, falling back to polling the JSON API; while the job
  // is being sent, the page in transfer and the bit rate, polled about once a second.
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
    followTransfer(job);
    return !!finalStates[job.state];
  }

  // Mirrors FaxTransfer::summary: "page 2 of 3, 14400 bit/s".
  function showTransfer(transfer) {
    if (!transfer) {
      text("fax-transfer", "");
      return;
    }
    var words = "page " + transfer.page;
    if (transfer.pages_total !== null && transfer.pages_total !== undefined) {
      words += " of " + transfer.pages_total;
    }
    if (transfer.bit_rate) {
      words += ", " + transfer.bit_rate + " bit/s";
    }
    text("fax-transfer", words);
    // Pages through count before the job records them at the end.
    var bar = document.getElementById("fax-pages-bar");
    if (bar && transfer.pages_sent > bar.value) {
      bar.value = transfer.pages_sent;
      text("fax-pages", transfer.pages_total === null || transfer.pages_total === undefined
        ? transfer.pages_sent + " pages"
        : transfer.pages_sent + " of " + transfer.pages_total + " pages");
    }
  }

  var transferTimer = null;
  var newest = 0;

  function askTransfer() {
    fetch(box.getAttribute("data-progress"),
      { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (progress) {
        if (!progress) { return; }
        // An answer overtaken by a newer change (the events stream) is dropped.
        var at = Date.parse(progress.job.updated_at) || 0;
        if (at < newest) { return; }
        show(progress.job);
        showTransfer(progress.job.state === "sending" ? progress.transfer : null);
      })
      .catch(function () { /* the next tick asks again */ });
  }

  function followTransfer(job) {
    newest = Math.max(newest, Date.parse(job.updated_at) || 0);
    var sending = job.state === "sending";
    if (sending && transferTimer === null) {
      transferTimer = window.setInterval(askTransfer, 1000);
      askTransfer();
    } else if (!sending) {
      if (transferTimer !== null) {
        window.clearInterval(transferTimer);
        transferTimer = null;
      }
      showTransfer(null);
    }
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
