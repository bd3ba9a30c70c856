/* Aftercare companion service worker: keeps the app's shell on the phone so it opens offline.
   API calls are never cached or answered here (they carry health data and must reach the service). */
"use strict";
const CACHE = "aftercare-shell-v1";
const SHELL = ["/app/", "/app/static/app.css", "/app/static/app.js", "/app/static/i18n.js", "/app/static/icon.svg",
  "/app/static/icon-192.png", "/app/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  const key = event.request.mode === "navigate" ? "/app/" : url.pathname;
  if (!SHELL.includes(key)) return;
  // Network first (a fresh shell when online), the kept copy when offline.
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) { const copy = response.clone(); caches.open(CACHE).then((cache) => cache.put(key, copy)); }
    return response;
  }).catch(() => caches.match(key)));
});

// Web push: the server's payload carries only the lock-screen text and ids (never a health detail).
self.addEventListener("push", (event) => {
  let payload = {};
  try { payload = event.data ? event.data.json() : {}; } catch (e) { payload = {}; }
  const data = payload.data && typeof payload.data === "object" ? payload.data : {};
  // The server writes the text in the patient's language; without one, the phone's language picks it.
  const fallback = (self.navigator.language || "").toLowerCase().startsWith("es")
    ? "Tiene un control pendiente en Aftercare."
    : "You have a check-in waiting in Aftercare.";
  const body = typeof payload.body === "string" ? payload.body : fallback;
  event.waitUntil(self.registration.showNotification(typeof payload.title === "string" ? payload.title : "Aftercare", {
    body, data, tag: data.notification_id || "aftercare", icon: "/app/static/icon-192.png",
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((w) => new URL(w.url).pathname.startsWith("/app/"));
    return open ? open.focus() : self.clients.openWindow("/app/");
  }));
});
