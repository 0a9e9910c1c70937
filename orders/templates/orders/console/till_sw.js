// The till's service worker (scope /console/till/): a till page reloaded or opened with no
// connection comes from the copy kept here, with its styles, scripts and fonts, so the offline
// till (static/js/till-offline.js) keeps selling. Nothing else is intercepted: the price list,
// the batch endpoint and every POST go to the network as usual.
"use strict";
var CACHE = "omnishop-till-{{ version }}";
var TILL_PAGE = /^\/console\/till\/\d+\/$/;
var STATIC = "{{ static_prefix }}";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("omnishop-till-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// the page lists what it was drawn with (itself, its static files, the font subsets it loaded)
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep") return;
  var port = event.ports && event.ports[0];
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all((data.urls || []).map(function (url) {
      var path = new URL(url, self.location.origin);
      if (path.origin !== self.location.origin) return null;
      if (!TILL_PAGE.test(path.pathname) && path.pathname.indexOf(STATIC) !== 0) return null;
      return cache.match(path.href).then(function (hit) {
        if (hit && !TILL_PAGE.test(path.pathname)) return null;
        return fetch(path.href, {credentials: "same-origin", redirect: "manual"}).then(function (response) {
          if (response.ok && response.type === "basic") return cache.put(path.href, response);
        });
      }).catch(function () { return null; });
    }));
  }).then(function () { if (port) port.postMessage("kept"); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && TILL_PAGE.test(url.pathname)) {
    // the network first; its copy when there is none. Signed out (a redirect): the copy goes.
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) {
        if (response.ok && response.type === "basic") return cache.put(url.origin + url.pathname, copy);
        return cache.delete(url.origin + url.pathname);
      });
      return response;
    }, function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(url.origin + url.pathname); })
        .then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf(STATIC) === 0) {
    // the network first (a new deploy's files), the copy when offline
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(request.url, copy); });
      }
      return response;
    }, function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(request.url); })
        .then(function (hit) { return hit || Response.error(); });
    }));
  }
});
