// Proof upload with a progress bar. Without this file the form is an ordinary multipart POST.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var box = form.querySelector(".upload-progress");
  var bar = form.querySelector("progress");
  var text = form.querySelector(".upload-progress-text");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    box.hidden = false;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        text.textContent = percent + " %";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 300 && xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // An error page (the form with its messages): show it in place.
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var main = doc.querySelector("main");
      if (main) { document.querySelector("main").replaceWith(main); main.focus(); }
      else { window.location.reload(); }
    });
    xhr.addEventListener("error", function () {
      box.hidden = true;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      window.alert(form.dataset.networkError || "Network error");
    });
    xhr.send(new FormData(form));
  });
});
