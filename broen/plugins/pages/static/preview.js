// The page editor's live preview: while the writer types, post the text (with the form's CSRF token) to
// the preview address and show the sanitised HTML the server sends back. Without this script the
// "Preview" button does the same through the form.
(function () {
  "use strict";
  var text = document.querySelector("textarea[data-preview-url]");
  var target = document.getElementById("page-preview");
  if (!text || !target || !window.fetch) { return; }
  var form = text.form;
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  var sent = 0;

  function show() {
    var body = new FormData();
    body.append("body", text.value);
    body.append("csrf_token", token ? token.value : "");
    var mine = ++sent;
    fetch(text.getAttribute("data-preview-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      // The server's answer is sanitised by its allow-list; an older answer arriving late is dropped.
      if (answer && mine === sent) { target.innerHTML = answer.html; }
    }).catch(function () { /* the Preview button still works */ });
  }

  text.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(show, 400);
  });
  show();
})();
