// eRaha live updates: notices pushed over the websocket are rendered without a request, so their forms carry
// no CSRF token; htmx sends the token from the cookie as a header instead. Plain forms are unaffected.
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match && event.detail.verb !== "get") {
    event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  }
});

// Verification queue: JSON events from /ws/queue/ about the proof on screen (see notifications/_queue_stream.html).
// Another verifier's lock or decision disables this page's decision buttons and says why.
document.addEventListener("htmx:wsBeforeMessage", function (event) {
  var stream = event.target;
  if (!stream || stream.id !== "queue-stream" || event.detail.message.charAt(0) !== "{") { return; }
  event.preventDefault(); // JSON, not a fragment to swap
  var message;
  try { message = JSON.parse(event.detail.message); } catch (error) { return; }
  var data = message.data || {};
  var live = document.getElementById("queue-live");
  var text = stream.getAttribute("data-text-" + message.event);
  if (!live || !text) { return; }
  if (message.event === "new_proof") { live.textContent = text; return; }
  var shown = document.querySelector("[data-proof-id]");
  if (!shown || String(message.proof_id) !== shown.getAttribute("data-proof-id")) { return; }
  if (data.verifier_id !== undefined && String(data.verifier_id) === stream.getAttribute("data-me")) { return; }
  live.textContent = text;
  if (message.event !== "lock_released") {
    document.querySelectorAll("#decision-form button[type=submit]").forEach(function (button) { button.disabled = true; });
  }
});
