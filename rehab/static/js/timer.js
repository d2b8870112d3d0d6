/* The hold timer and rep counter on Today (patients/_workout.html); the page works without it.
 *
 * Each [data-workout] carries its prescribed dose as data attributes (hold_s, rest_s, reps,
 * reps_max, sets). The script shows its tools and runs:
 * - a counter: "+1" counts a rep (or a hold); reaching the target (reps_max, else reps) moves
 *   to the next set; "Next set" appears once the lower end of a range is reached.
 * - for a hold: Start counts hold_s down; at zero the hold is counted, then rest_s counts down
 *   and the next hold starts by itself. Without a rest_s in the dose nothing is invented: the
 *   patient presses Start for the next hold. Pause and Reset do what they say. One exercise
 *   at a time: starting a timer quietly pauses any other that is running.
 * The polite live region says "Hold", "Rest", "Set 2 of 3" and "All done" only when the phase
 * changes; the countdown (role=timer) is not announced every second. Time is read from
 * Date.now(), so a throttled background tab still ends a hold on time. A short vibration
 * marks the end of a hold where the phone has one; the screen is kept awake while a timer
 * runs where the browser allows it.
 */
(function () {
  "use strict";

  var TICK_MS = 200;

  function number(el, name) {
    var value = parseInt(el.getAttribute("data-" + name), 10);
    return isNaN(value) || value < 1 ? null : value;
  }

  function clock(seconds) {
    if (seconds < 60) { return String(seconds); }
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function buzz() {
    if (navigator.vibrate) {
      try { navigator.vibrate(200); } catch (e) { /* not allowed: silent */ }
    }
  }

  function Workout(root) {
    var $ = function (name) { return root.querySelector("[data-" + name + "]"); };
    this.root = root;
    this.holdS = number(root, "hold-s");
    this.restS = number(root, "rest-s");
    this.reps = number(root, "reps");
    this.target = number(root, "reps-max") || this.reps;
    this.sets = number(root, "sets") || 1;
    this.noun = this.holdS ? "Hold" : "Rep";
    this.el = {
      tools: $("workout-tools"), phase: $("timer-phase"), count: $("timer-count"),
      progress: $("timer-progress"), start: $("timer-start"), pause: $("timer-pause"),
      reset: $("timer-reset"), counter: $("counter-text"), add: $("counter-add"),
      next: $("counter-next"), announce: $("announce")
    };
    this.wakeLock = null;
    this.resetAll();
    this.bind();
    this.el.tools.hidden = false;
  }

  Workout.prototype.bind = function () {
    var self = this;
    this.el.add.addEventListener("click", function () { self.count(); });
    this.el.next.addEventListener("click", function () { self.nextSet(); });
    this.el.reset.addEventListener("click", function () { self.resetAll(); self.say("Reset"); });
    if (!this.holdS) { return; }
    this.el.start.addEventListener("click", function () { self.start(); });
    this.el.pause.addEventListener("click", function () { self.pause(false); });
  };

  Workout.prototype.say = function (text) {
    // Cleared first so the same words ("Hold") are announced again.
    var region = this.el.announce;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  };

  // --- The counter ---------------------------------------------------------------------------

  Workout.prototype.done = function () {
    return this.target !== null && this.set === this.sets && this.n >= this.target;
  };

  Workout.prototype.showCount = function () {
    var range = this.reps && this.target !== this.reps ? this.reps + "–" + this.target : this.target;
    var text = this.noun + "s: " + this.n + (range ? " of " + range : "");
    if (this.sets > 1) { text += " · set " + this.set + " of " + this.sets; }
    if (this.done()) { text += " · all done"; }
    this.el.counter.textContent = text;
    this.el.add.disabled = this.done();
    this.el.next.hidden = !(this.set < this.sets && this.reps !== null && this.n >= this.reps &&
      this.n < this.target);
  };

  // Counts one rep or hold; returns the words for a set change or the end, if any.
  Workout.prototype.count = function () {
    if (this.done()) { return ""; }
    this.n += 1;
    var news = "";
    if (this.target !== null && this.n >= this.target) {
      news = this.set < this.sets ? this.advance() : "All done";
    }
    this.showCount();
    if (news && this.state !== "hold") { this.say(news); }
    return news;
  };

  Workout.prototype.advance = function () {
    this.set += 1;
    this.n = 0;
    return "Set " + this.set + " of " + this.sets;
  };

  Workout.prototype.nextSet = function () {
    if (this.set >= this.sets) { return; }
    this.say(this.advance());
    this.showCount();
  };

  // --- The timer -----------------------------------------------------------------------------

  Workout.prototype.resetAll = function () {
    this.stopTicking();
    this.n = 0;
    this.set = 1;
    this.state = "ready";   // ready | hold | rest | paused | done
    this.resumeAs = null;
    this.left = this.holdS ? this.holdS * 1000 : 0;
    this.showCount();
    if (this.holdS) { this.show("Ready", this.holdS, this.holdS); }
  };

  Workout.prototype.show = function (phase, seconds, of) {
    this.el.phase.textContent = phase;
    this.el.count.textContent = clock(seconds);
    this.el.progress.max = of;
    this.el.progress.value = of - seconds;
    this.root.setAttribute("data-state", this.state);
    var running = this.state === "hold" || this.state === "rest";
    this.el.start.hidden = running;
    this.el.pause.hidden = !running;
    this.el.start.textContent = this.state === "paused" ? "Resume" :
      (this.state === "ready" && this.n + (this.set - 1) * (this.target || 0) > 0) ? "Start next hold" : "Start";
    this.el.start.disabled = this.state === "done";
  };

  Workout.prototype.start = function () {
    if (this.state === "done") { return; }
    // One exercise at a time: starting this timer pauses any other that is running.
    var self = this;
    all.forEach(function (other) { if (other !== self) { other.pause(true); } });
    if (this.state === "paused") {
      this.run(this.resumeAs, this.left);
      return;
    }
    this.say(this.sets > 1 && this.n === 0 ? "Hold. Set " + this.set + " of " + this.sets : "Hold");
    this.run("hold", this.holdS * 1000);
  };

  Workout.prototype.run = function (state, ms) {
    var self = this;
    this.state = state;
    this.endsAt = Date.now() + ms;
    this.stopTicking();
    this.ticker = window.setInterval(function () { self.tick(); }, TICK_MS);
    this.keepAwake();
    this.tick();
  };

  Workout.prototype.tick = function () {
    var left = Math.max(0, this.endsAt - Date.now());
    this.left = left;
    var of = this.state === "rest" ? this.restS : this.holdS;
    this.show(this.state === "rest" ? "Rest" : "Hold", Math.ceil(left / 1000), of);
    if (left > 0) { return; }
    if (this.state === "hold") { this.endHold(); } else { this.endRest(); }
  };

  Workout.prototype.endHold = function () {
    buzz();
    var news = this.count();
    if (this.done()) {
      this.finish();
      return;
    }
    if (this.restS) {
      this.say(news ? "Rest. " + news + " next" : "Rest");
      this.run("rest", this.restS * 1000);
      return;
    }
    // No rest in the dose: wait for the patient rather than invent one.
    this.stopTicking();
    this.state = "ready";
    this.say(news ? "Rest. " + news + " next" : "Rest");
    this.show("Rest, then start the next hold", this.holdS, this.holdS);
  };

  Workout.prototype.endRest = function () {
    this.say("Hold");
    this.run("hold", this.holdS * 1000);
  };

  Workout.prototype.finish = function () {
    this.stopTicking();
    this.state = "done";
    this.say("All done");
    this.show("All done", 0, this.holdS);
  };

  // quiet: paused because another timer started (that one speaks, this one does not).
  Workout.prototype.pause = function (quiet) {
    if (this.state !== "hold" && this.state !== "rest") { return; }
    this.left = Math.max(0, this.endsAt - Date.now());
    this.resumeAs = this.state;
    this.stopTicking();
    this.state = "paused";
    if (!quiet) { this.say("Paused"); }
    var of = this.resumeAs === "rest" ? this.restS : this.holdS;
    this.show("Paused", Math.ceil(this.left / 1000), of);
  };

  Workout.prototype.stopTicking = function () {
    if (this.ticker) { window.clearInterval(this.ticker); }
    this.ticker = null;
    this.letSleep();
  };

  Workout.prototype.keepAwake = function () {
    var self = this;
    if (this.wakeLock || !navigator.wakeLock || document.visibilityState !== "visible") { return; }
    navigator.wakeLock.request("screen").then(function (lock) {
      if (self.ticker) { self.wakeLock = lock; } else { lock.release(); }
    }, function () { /* refused (battery saver): the timer still runs */ });
  };

  Workout.prototype.letSleep = function () {
    if (this.wakeLock) { this.wakeLock.release(); }
    this.wakeLock = null;
  };

  var all = [];

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-workout]").forEach(function (root) {
      all.push(new Workout(root));
    });
  });

  // The browser drops the wake lock when the page is hidden; take it again on return.
  document.addEventListener("visibilitychange", function () {
    all.forEach(function (w) {
      w.wakeLock = null;
      if (w.ticker) { w.keepAwake(); }
    });
  });
})();
