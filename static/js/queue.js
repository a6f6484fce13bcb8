// Verification queue keyboard: a approve, r + 1–5 reject with a reason, c request changes, s skip, ← → photos.
// The page works without this file: the buttons are a plain form.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("decision-form");
  var photos = Array.prototype.slice.call(document.querySelectorAll("[data-photo-index]"));
  var status = document.getElementById("key-status");
  var current = 0;
  var mode = null; // null, "reject" or "changes"

  function say(text) { if (status) { status.textContent = text; } }
  function showPhoto(index) {
    if (!photos.length) { return; }
    current = (index + photos.length) % photos.length;
    photos.forEach(function (figure, i) { figure.hidden = i !== current; });
  }
  showPhoto(0);
  drawMap();

  // The task's place (with its allowed radius) and each photo's GPS position; the text beside it stays.
  function drawMap() {
    var element = document.getElementById("proof-map");
    if (!element || !window.L) { return; }
    var place = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    var map = window.L.map(element, { scrollWheelZoom: false, keyboard: false }).setView(place, 16);
    window.L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "&copy; OpenStreetMap contributors"
    }).addTo(map);
    var bounds = [place];
    window.L.marker(place, { title: element.dataset.placeLabel, alt: element.dataset.placeLabel, keyboard: false }).addTo(map);
    if (element.dataset.radius) {
      window.L.circle(place, { radius: parseFloat(element.dataset.radius), weight: 1 }).addTo(map);
    }
    element.querySelectorAll("[data-photo-point]").forEach(function (point) {
      var at = [parseFloat(point.dataset.lat), parseFloat(point.dataset.lon)];
      bounds.push(at);
      window.L.circleMarker(at, { radius: 7, color: "#a4161a" }).bindTooltip(point.dataset.label, { permanent: true }).addTo(map);
    });
    if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 }); }
  }

  function button(action) { return form && form.querySelector("button[value=" + action + "]"); }
  function submit(action) {
    var target = button(action);
    if (!target || form.dataset.sent) { return; }
    form.dataset.sent = "1";
    form.requestSubmit(target);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select";
    if (mode === "changes" && tag === "textarea") {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit("changes"); }
      if (event.key === "Escape") { mode = null; event.target.blur(); say(""); }
      return;
    }
    if (typing) { return; }
    if (event.key === "ArrowRight") { showPhoto(current + 1); event.preventDefault(); return; }
    if (event.key === "ArrowLeft") { showPhoto(current - 1); event.preventDefault(); return; }
    if (!form) { return; }
    if (mode === "reject") {
      if (/^[1-5]$/.test(event.key)) {
        form.querySelector("select[name=reason_code]").value = event.key;
        event.preventDefault();
        submit("reject");
      } else if (event.key === "Escape") { mode = null; say(""); }
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "a") { event.preventDefault(); submit("approve"); }
    else if (key === "s") { event.preventDefault(); submit("skip"); }
    else if (key === "r") { event.preventDefault(); mode = "reject"; say(form.dataset.rejectHint || "1–5"); }
    else if (key === "c") {
      event.preventDefault();
      mode = "changes";
      var message = form.querySelector("textarea[name=message]");
      if (message) { message.focus(); }
    }
  });
});
