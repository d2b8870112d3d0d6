/* Small progressive enhancements; every page works without them.
 *
 * 1. A form is sent once: a second submit (double click, impatient tap) is ignored and the
 *    buttons are disabled after the browser has collected the form data (so the clicked
 *    button's name/value is still sent). The server is idempotent on the form's client_uuid
 *    anyway; this only spares the patient a confusing second request.
 * 2. Elements with data-show-when="<checkbox id>" are shown only while that box is ticked.
 * 3. A button with data-copy="<input id>" copies that field's text (the calendar link); without
 *    the clipboard it selects the text, for the patient to copy themselves.
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
})();
