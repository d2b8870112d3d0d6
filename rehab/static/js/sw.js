/* The service worker (served at /sw.js so that it covers the whole site): it shows a push
 * message and opens its link when tapped. A push carries only a title and a link. */
"use strict";

self.addEventListener("push", function (event) {
  var message = { title: "Rehab planner", url: "/" };
  try { message = event.data.json(); } catch (error) { /* keep the default */ }
  event.waitUntil(self.registration.showNotification(message.title, {
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: message.url }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/",
                    self.location.origin);
  if (url.origin !== self.location.origin) { url = new URL("/", self.location.origin); }
  event.waitUntil(self.clients.openWindow(url.href));
});
