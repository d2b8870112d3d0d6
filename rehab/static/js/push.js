/* Web push on the Reminders page: registers the service worker, asks the browser for a push
 * subscription with the clinic's public key, and sends it to the server. Shown only where the
 * browser can do it (on an iPhone: the site added to the Home Screen); the page works
 * without it. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function keyBytes(base64url) {
    var padded = base64url.replace(/-/g, "+").replace(/_/g, "/");
    padded += "====".slice(0, (4 - (padded.length % 4)) % 4);
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var controls = document.getElementById("push-controls");
    if (!controls || !("serviceWorker" in navigator) || !("PushManager" in window) ||
        !("Notification" in window)) {
      return;
    }
    var status = document.getElementById("push-status");
    var button = document.getElementById("push-on");
    controls.hidden = false;
    document.getElementById("push-unsupported").hidden = true;
    if (Notification.permission === "denied") {
      status.textContent = "Notifications are blocked for this site in your browser's settings.";
      button.disabled = true;
    }

    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = "Asking your browser…";
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          throw new Error("You did not allow notifications, so none will be sent.");
        }
        return navigator.serviceWorker.register("/sw.js", { scope: "/" });
      }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(controls.dataset.pushKey)
        });
      }).then(function (subscription) {
        return fetch(controls.dataset.pushUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify(subscription.toJSON())
        });
      }).then(function (response) {
        if (!response.ok) { throw new Error("The server could not use this browser's subscription."); }
        window.location.reload();
      }).catch(function (error) {
        status.textContent = error.message || "Notifications could not be turned on.";
        button.disabled = false;
      });
    });
  });
})();
