/* Small progressive enhancements; every page works without them.
 *
 * 1. A form is sent once: a second submit (double click, impatient tap) is ignored and the
 *    buttons are disabled after the browser has collected the form data (so the clicked
 *    button's name/value is still sent). The server is idempotent on the form's client_uuid
 *    anyway; this only spares the patient a confusing second request.
 * 2. Elements with data-show-when="<checkbox id>" are shown only while that box is ticked.
 * 3. A button with data-copy="<input id>" copies that field's text (the calendar link); without
 *    the clipboard it selects the text, for the patient to copy themselves.
 * 4. Feedback where the eye is: the first element marked data-focus-on-load (the error
 *    summary, else a fresh preview) is scrolled to and focused when the page loads; a link in
 *    the error summary focuses its field (opening a closed <details> around it) and shows
 *    the field's label or legend with it.
 * 5. A link to a folded section (a <details>, or something inside one) unfolds it.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-allow-resubmit")) {
      return;
    }
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });

  // A page restored from the back/forward cache gets working buttons again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  });

  function syncToggles() {
    document.querySelectorAll("[data-show-when]").forEach(function (el) {
      var box = document.getElementById(el.getAttribute("data-show-when"));
      if (box) { el.hidden = !box.checked; }
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var done = function () {
      button.textContent = button.getAttribute("data-copied-text") || "Copied";
    };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });

  document.addEventListener("change", syncToggles);
  document.addEventListener("DOMContentLoaded", syncToggles);
  document.addEventListener("htmx:afterSwap", syncToggles);

  function reveal(el) {
    for (var d = el.closest("details:not([open])"); d; d = d.parentElement.closest("details:not([open])")) {
      d.open = true;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var first = document.querySelector("[data-focus-on-load]");
    if (!first) { return; }
    reveal(first);
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "start" });
  });

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest(".error-summary a[href^='#']");
    if (!link) { return; }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) { return; }
    event.preventDefault();
    reveal(field);
    var group = /^(radio|checkbox)$/.test(field.type) && field.closest("fieldset");
    var label = (group && group.querySelector("legend")) ||
      document.querySelector("label[for='" + field.id + "']") || field;
    label.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  // A link to a folded section (the programme page's "Adjust:" links, "Advance or step back
  // a phase") unfolds it: the target itself if it is a <details>, and any around it.
  function openTarget() {
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (!target) { return; }
    if (target.tagName === "DETAILS") { target.open = true; }
    reveal(target);
  }
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", openTarget);
})();
