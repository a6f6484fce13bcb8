// Desk page: scans a voucher QR with the camera and submits the redeem form. The typed-code form works
// without this file. Uses the browser's BarcodeDetector where it exists and jsQR (static/vendor) elsewhere;
// nothing is fetched from the internet.
"use strict";
(function () {
  var section = document.getElementById("scanner");
  if (!section || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var startButton = document.getElementById("scanner-start");
  var stopButton = document.getElementById("scanner-stop");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var detector = null;
  section.hidden = false;

  function say(text) { status.textContent = text; }

  function submitCode(code) {
    // One scan, one submission: the camera stops, so a QR left in view is not sent again. The cashier
    // starts the camera for the next customer (or to scan the same voucher again on purpose).
    stop();
    var form = document.getElementById("redeem-form");
    var input = form && form.querySelector("input[name=code]");
    if (!input) { return; }
    input.value = code;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function detectWithJsQR() {
    var width = video.videoWidth, height = video.videoHeight;
    if (!width || !height || typeof window.jsQR !== "function") { return Promise.resolve(null); }
    canvas.width = width; canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(found ? found.data : null);
  }

  function detectOnce() {
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; })
        .catch(function () { detector = null; return null; });
    }
    return detectWithJsQR();
  }

  function loop() {
    if (!stream) { return; }
    detectOnce().then(function (code) {
      if (!stream) { return; }
      if (code) { submitCode(code.trim()); return; }
      window.setTimeout(loop, 200);
    });
  }

  function start() {
    if ("BarcodeDetector" in window) {
      try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (error) { detector = null; }
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      video.play();
      say(section.dataset.scanning);
      loop();
    }).catch(function (error) {
      say(error && error.name === "NotAllowedError" ? section.dataset.denied : section.dataset.noCamera);
    });
  }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
    say("");
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  // After htmx swaps in a new result, move focus to it so screen readers announce it and the cashier sees it.
  document.body.addEventListener("htmx:afterSwap", function () {
    var result = document.getElementById("desk-result");
    if (result) { result.focus(); }
  });
})();
