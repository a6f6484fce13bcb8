// eRaha tasks: "near me" location, maps (Leaflet, bundled) and claim countdowns.
// Every page works without this file: the list is complete without the map and filters are plain forms.
"use strict";
(function () {
  function nearMe() {
    var button = document.getElementById("near-me");
    var form = document.getElementById("task-filters");
    if (!button || !form || !("geolocation" in navigator)) { return; }
    var status = document.getElementById("near-me-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
        form.submit();
      }, function () {
        status.textContent = button.dataset.failed;
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
    });
  }

  function tileLayer() {
    return window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors"
    });
  }

  function listMap() {
    var element = document.getElementById("task-map");
    if (!element || !window.L) { return; }
    var details = element.closest("details");
    var map = null;
    function show() {
      if (map) { map.invalidateSize(); return; }
      map = window.L.map(element).setView([61.1719, 28.7520], 12);  // Imatra
      tileLayer().addTo(map);
      fetch(element.dataset.url, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var layer = window.L.geoJSON(data, {
            onEachFeature: function (feature, marker) {
              var link = document.createElement("a");
              link.href = feature.properties.url;
              link.textContent = feature.properties.title + " · " + feature.properties.reward;
              marker.bindPopup(link);
            }
          }).addTo(map);
          if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 15, padding: [20, 20] }); }
        });
    }
    if (details) {
      details.addEventListener("toggle", function () { if (details.open) { show(); } });
    } else {
      show();
    }
  }

  function placeMap() {
    var element = document.getElementById("task-place-map");
    if (!element || !window.L) { return; }
    var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    var map = window.L.map(element, { scrollWheelZoom: false }).setView(point, 16);
    tileLayer().addTo(map);
    window.L.marker(point, { title: element.dataset.title, alt: element.dataset.title }).addTo(map);
  }

  function countdowns() {
    var items = document.querySelectorAll("time[data-countdown]");
    if (!items.length) { return; }
    function tick() {
      var now = Date.now();
      items.forEach(function (item) {
        var left = Math.floor((Date.parse(item.getAttribute("datetime")) - now) / 1000);
        if (left <= 0) { item.textContent = item.dataset.expired; return; }
        var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60);
        item.textContent = d ? d + " d " + h + " h" : (h ? h + " h " + m + " min" : Math.max(m, 1) + " min");
      });
    }
    tick();
    window.setInterval(tick, 30000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    nearMe();
    listMap();
    placeMap();
    countdowns();
  });
})();
