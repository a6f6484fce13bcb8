// eRaha live updates: notices pushed over the websocket are rendered without a request, so their forms carry
// no CSRF token; htmx sends the token from the cookie as a header instead. Plain forms are unaffected.
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match && event.detail.verb !== "get") {
    event.detail.headers["X-CSRFToken"] = decodeURIComponent(match[1]);
  }
});
