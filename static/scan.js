// Binscan scanning surface: an ordered queue of scans, focus, and feedback.
//
// A handheld's scan engine types a code and presses Enter (or Tab), often faster than the
// server answers. htmx would keep only the last of a burst and read the form when it
// sends, not when the scan happened, so the queue is ours: capture each scan's value the
// moment Enter arrives, clear the input, and send one request at a time, in order, each
// with its own idempotency key (a resend after a lost answer posts nothing twice).
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = document.getElementById("scan");
  var queue = [];
  var sending = false;
  var audio = null;
  // An answer not back by then is given up and the scan sent again with its key.
  var answerWithinMs = (Number(form.getAttribute("data-answer-within")) || 10) * 1000;

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // --- device id and the on-screen keyboard setting, remembered per device -------------
  var device = localStorage.getItem("binscan.device");
  if (!device) {
    device = "web-" + newKey().slice(0, 12);
    localStorage.setItem("binscan.device", device);
  }
  document.getElementById("device").value = device;

  var keyboard = document.getElementById("keyboard");
  function applyKeyboard(show) {
    input.setAttribute("inputmode", show ? "text" : "none");
    keyboard.setAttribute("aria-pressed", show ? "true" : "false");
  }
  applyKeyboard(localStorage.getItem("binscan.keyboard") !== "off");
  keyboard.addEventListener("click", function () {
    var show = input.getAttribute("inputmode") === "none";
    localStorage.setItem("binscan.keyboard", show ? "on" : "off");
    applyKeyboard(show);
    input.blur();
    input.focus();
  });

  // --- focus: the scan input always has it ------------------------------------------------
  function refocus() {
    var active = document.activeElement;
    var typing = active && active !== input && (active.tagName === "INPUT" ||
      active.tagName === "SELECT" || active.tagName === "TEXTAREA");
    if (!typing) input.focus({ preventScroll: true });
  }
  document.addEventListener("click", function (ev) {
    if (!ev.target.closest("input, select, textarea, a")) setTimeout(refocus, 0);
  });
  document.addEventListener("visibilitychange", refocus);
  window.addEventListener("focus", refocus);

  // --- capture ---------------------------------------------------------------------------
  function fieldValue(name) {
    var el = form.querySelector("#step [name='" + name + "']");
    return el ? el.value : "";
  }

  // A scan the server failed on (a 500) keeps its key: scanned again on the same step it
  // is the same request, so a failure after its commit cannot make it post twice.
  var failed = null;
  var FIELDS = ["scan", "action", "qty", "date", "undo"];

  function sameAsFailed(fields) {
    return failed !== null && FIELDS.every(function (n) {
      return (fields[n] || "") === (failed[n] || "");
    });
  }

  function enqueue(fields) {
    fields.key = sameAsFailed(fields) ? failed.key : newKey();
    queue.push(fields);
    keepQueue();
    pump();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var by = ev.submitter;
    var fields = {};
    if (by && by.name === "action") {
      fields.action = by.value;
    } else if (by && by.name === "choose") { // a list entry: the same as scanning its code
      fields.scan = by.value;
    } else if (document.activeElement && document.activeElement.name === "qty") {
      fields.action = "qty";
    } else if (document.activeElement && document.activeElement.name === "date") {
      fields.action = "expiry";
    } else {
      fields.scan = input.value;
      input.value = "";
      if (!fields.scan.trim()) return;
    }
    // Typed values belong to this press, not to whatever the page shows when it is sent.
    fields.qty = fieldValue("qty");
    fields.date = fieldValue("date");
    fields.undo = fieldValue("undo"); // the movement this screen offers to undo
    enqueue(fields);
    input.focus({ preventScroll: true });
  });

  input.addEventListener("keydown", function (ev) {
    unlockAudio();
    if (ev.key === "Tab" && input.value.trim()) { // a Tab suffix submits like Enter
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  // --- a step left unfinished is carried on ----------------------------------------------
  // The step's state lives in the page, so a reload, a look-up on the way or an idle
  // sign-out would lose a count half done. It is kept on the device too, per user and
  // screen, and sent back ("resume") when the screen opens at an earlier point of the same
  // work; the server checks it as it checks any step.
  var keptKey = "binscan.step." + form.getAttribute("data-user") + "." + location.pathname;
  var keptForMs = (Number(form.getAttribute("data-resume-minutes")) || 60) * 60000;

  function stateShown() {
    var state = {};
    Array.prototype.forEach.call(form.querySelectorAll("#step input[name^='s_']"),
      function (el) { state[el.name] = el.value; });
    return state;
  }

  function undoShown() { // the movement the screen offers to undo, if any
    var el = form.querySelector("#step input[name='undo']");
    return el ? el.value : "";
  }

  function keepState() {
    var state = stateShown();
    var undo = undoShown();
    if (Object.keys(state).length || undo) {
      localStorage.setItem(keptKey, JSON.stringify({ at: Date.now(), state: state, undo: undo }));
    } else {
      localStorage.removeItem(keptKey);
    }
  }

  function resumeKept() {
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(keptKey)); } catch (e) { /* unreadable */ }
    var shown = stateShown();
    var fresh = kept && kept.state && Date.now() - kept.at < keptForMs;
    // Only further along the same work: everything shown agrees, and more was kept (a
    // step's state, or the Undo of the movement last recorded).
    var further = fresh &&
      Object.keys(shown).every(function (name) { return kept.state[name] === shown[name]; }) &&
      (Object.keys(kept.state).length > Object.keys(shown).length ||
       (kept.undo && !undoShown()));
    if (!further) {
      keepState();
      return;
    }
    var fields = { action: "resume", undo: kept.undo || "" };
    Object.keys(kept.state).forEach(function (name) { fields[name] = kept.state[name]; });
    enqueue(fields);
  }

  // Scans not yet answered are kept too, each with its key, and sent again after the
  // step is carried on: one whose answer was lost to the reload posts once ("Already
  // recorded"), where scanning it again would have posted it twice.
  var queueKey = "binscan.queue." + form.getAttribute("data-user") + "." + location.pathname;

  function keepQueue() {
    var waiting = queue.filter(function (fields) { return fields.action !== "resume"; });
    if (waiting.length) {
      localStorage.setItem(queueKey, JSON.stringify({ at: Date.now(), items: waiting }));
    } else {
      localStorage.removeItem(queueKey);
    }
  }

  function keptQueue() {
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(queueKey)); } catch (e) { /* unreadable */ }
    return kept && kept.items && Date.now() - kept.at < keptForMs ? kept.items : [];
  }

  // --- send, one at a time, in order -------------------------------------------------------
  function pump() {
    if (sending || !queue.length) return;
    sending = true;
    send(queue[0]).then(function () {
      queue.shift();
      keepQueue();
      sending = false;
      pump();
    }, function (error) {
      // No answer (offline, the server or its database restarting, timed out): keep the
      // scan and send it again, with its key.
      sending = false;
      showWaiting(error && error.notReady ? "Server not ready" : "No connection");
      setTimeout(pump, 2000);
    });
  }

  function send(fields) {
    var data = new FormData(form);
    FIELDS.forEach(function (n) { data.delete(n); });
    Object.keys(fields).forEach(function (n) { data.set(n, fields[n]); });
    var giveUp = new AbortController();
    var timer = setTimeout(function () { giveUp.abort(); }, answerWithinMs);
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      signal: giveUp.signal, // aborts the answer's body too, if it stalls half-way
      // HX-Current-URL: a signed-out device is sent to sign in and then back here.
      headers: { "HX-Request": "true", "HX-Target": "step", "HX-Current-URL": location.href },
    }).then(function (response) {
      // A gateway that could not reach us (502/504), or our 503 (the database out of
      // reach; nothing was written): the same key is safe to resend.
      if (response.status >= 502) {
        var notReady = new Error("server not ready " + response.status);
        notReady.notReady = true;
        throw notReady;
      }
      if (response.status >= 500) { // our own failure: say so, do not retry it forever
        failed = fields;
        showServerError(response.status);
        return;
      }
      failed = null; // answered: the step has moved on, or says why not
      return response.text().then(function (html) {
        if (response.headers.get("HX-Redirect")) {
          window.location.href = response.headers.get("HX-Redirect");
          return;
        }
        if (/^\s*<div id="step"/.test(html)) swapStep(html);
        else showPage(html);
      });
    }).finally(function () { clearTimeout(timer); });
  }

  // An answer that is not a step (the page expired, forbidden): show it whole, as a plain
  // post would, instead of nesting a page inside the step. Scans still queued are dropped.
  function showPage(html) {
    queue.length = 1; // only the one being answered, which pump() removes
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.documentElement.replaceChild(document.adoptNode(page.body), document.body);
    feedback("error");
  }

  function swapStep(html) {
    var step = document.getElementById("step");
    if (window.htmx && htmx.swap) {
      htmx.swap(step, html, { swapStyle: "outerHTML" });
    } else {
      step.outerHTML = html;
    }
    feedback(document.getElementById("step").getAttribute("data-status"));
    keepState();
    refocus();
  }

  function showServerError(status) {
    var step = document.getElementById("step");
    var band = document.createElement("p");
    band.className = "status status-error";
    band.setAttribute("role", "alert");
    band.textContent = "The server failed on that scan (error " + status + "). " +
      "Scan it again; if it keeps failing, tell a supervisor.";
    Array.prototype.forEach.call(step.querySelectorAll(".status"), function (old) {
      old.remove();
    });
    step.insertBefore(band, step.firstChild);
    step.setAttribute("data-status", "error");
    feedback("error");
    refocus();
  }

  function showWaiting(why) {
    var step = document.getElementById("step");
    var band = step.querySelector(".status-waiting") || document.createElement("p");
    band.className = "status status-waiting";
    band.setAttribute("role", "status");
    band.textContent = why + ": " + queue.length + " scan(s) waiting, sending again…";
    step.insertBefore(band, step.firstChild);
  }

  var waited = keptQueue(); // read before the resume below is queued (and the queue kept)
  resumeKept();
  waited.forEach(function (fields) { queue.push(fields); }); // with their own keys
  keepQueue();
  pump();

  // --- feedback a worker notices without looking -------------------------------------------
  // Made on the first key press (a browser plays sound only after one). The browser
  // suspends it when the screen sleeps or the tab is hidden: wake it at the next scan.
  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }

  function tone(freq, start, length, type) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + length);
  }

  function feedback(status) {
    document.body.setAttribute("data-last", status || "none");
    if (status === "ok") {
      if (audio) { tone(1320, 0, 0.08, "sine"); tone(1760, 0.09, 0.08, "sine"); }
      if (navigator.vibrate) navigator.vibrate(40);
    } else if (status === "error" || status === "warn") {
      if (audio) { tone(220, 0, 0.18, "square"); tone(180, 0.2, 0.25, "square"); }
      if (navigator.vibrate) navigator.vibrate([120, 60, 120]);
    }
  }
})();
