// eRaha: small progressive enhancements. Every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Disable a submit button once its form is sent, so a double tap does not submit twice.
  // (The server refuses duplicates anyway through idempotency keys.)
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    // Disabled only after the browser has read the form: a disabled submitter would drop its name=value
    // (e.g. the queue's action=reject), and the server would answer 400.
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
      }, 0);
    });
  });
});
