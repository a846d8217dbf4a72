// A service worker that would proxy every request; the driver must never let it run.
self.addEventListener("fetch", (e) => e.respondWith(fetch(e.request)));
