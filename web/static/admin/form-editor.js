/* The admin form editor: JSON on the left, and a preview rendered by the server with
   the task page's own field macro, refreshed a moment after each edit. */
(function () {
  "use strict";
  var E = window.SignoffEditor;
  var source = document.getElementById("form-source");
  var preview = document.getElementById("preview");
  if (!source || !preview) { return; }
  var timer = null;
  var asked = 0;

  function refresh() {
    var mine = ++asked;
    E.postJSON(E.data.urls.preview, { source: source.value }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(new Error(String(response.status)));
    }).then(function (html) {
      if (mine === asked) {
        /* Server-rendered by our own template, with every value escaped by Jinja. */
        preview.innerHTML = html;
        preview.setAttribute("data-version", String(mine));
      }
    }).catch(function () { E.status(E.texts.failed, "error"); });
  }
  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
  document.getElementById("save-draft").addEventListener("click", function () {
    E.postJSON(E.data.urls.save, {
      source: source.value, expected_version: E.data.draft_version
    }).then(function (response) {
      if (!response.ok) {
        E.status(response.status === 409 ? E.texts.conflict : E.texts.failed, "error");
        return;
      }
      return response.json().then(function (body) {
        E.data.draft_version = body.row_version;
        /* a deploy from this page now replaces the draft it just saved */
        document.getElementById("deploy-draft-version").value = String(body.row_version);
        E.status(E.texts.saved, "ok");
      });
    });
  });
})();
