// Live refresh for handoutgen serve: the server sends the workspace's stamp after every save;
// when it differs from the one this page was made from, the page fetches itself again and
// swaps its main content in place (keeping the scroll position), once its images are loaded.
(function () {
  "use strict";
  var root = document.documentElement;
  var status = document.getElementById("live-status");
  if (!root.dataset.stamp || !window.EventSource || !window.fetch) { return; }
  var busy = false;
  var again = false;

  function imagesLoaded(element) {
    var images = Array.prototype.slice.call(element.querySelectorAll("img"));
    return Promise.all(images.map(function (image) {
      var copy = new Image();
      copy.src = image.getAttribute("src");
      return copy.decode ? copy.decode().catch(function () {}) : Promise.resolve();
    }));
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var main = next.getElementById("main");
        if (!main) { return; }
        return imagesLoaded(main).then(function () {
          var focused = document.activeElement && document.activeElement.id;
          document.getElementById("main").replaceWith(document.adoptNode(main));
          root.dataset.stamp = next.documentElement.dataset.stamp;
          document.title = next.title;
          if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
          status.textContent = "Updated from the saved files at " + new Date().toLocaleTimeString() + ".";
        });
      })
      .catch(function () { status.textContent = "Could not refresh; is handoutgen serve still running?"; })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var events = new EventSource("/events");
  events.addEventListener("stamp", function (event) {
    if (event.data !== root.dataset.stamp) { refresh(); }
  });
})();
