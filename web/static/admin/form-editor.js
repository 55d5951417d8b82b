/* The admin form editor: JSON on the left, and a preview rendered by the server with
   the task page's own field macro, refreshed a moment after each edit. A save refused
   because another admin saved first keeps the JSON here, shows how their save differs
   from it, and offers "save mine over it", as the BPMN and DMN editors do. */
(function () {
  "use strict";
  var E = window.SignoffEditor;
  var source = document.getElementById("form-source");
  var preview = document.getElementById("preview");
  if (!source || !preview) { return; }
  var replaceButton = document.getElementById("replace-draft");
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

  function save(replace) {
    var body = { source: source.value, expected_version: E.data.draft_version };
    if (replace) { body.replace = true; }
    E.postJSON(E.data.urls.save, body).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var conflict = response.status === 409;
          E.status(conflict ? E.texts.conflict : E.texts.failed, "error");
          replaceButton.hidden = !conflict;
          E.showConflict(body.conflict || null);
        });
      }
      return response.json().then(function (body) {
        E.data.draft_version = body.row_version;
        /* a deploy from this page now replaces the draft it just saved */
        document.getElementById("deploy-draft-version").value = String(body.row_version);
        replaceButton.hidden = true;
        E.showConflict(null);
        E.status(E.texts.saved, "ok");
      });
    }).catch(function () { E.status(E.texts.failed, "error"); });
  }

  source.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
  document.getElementById("save-draft").addEventListener("click", function () {
    save(false);
  });
  replaceButton.addEventListener("click", function () { save(true); });
})();
