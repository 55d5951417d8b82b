/* What the admin editors share: their JSON data block, posting JSON with the CSRF
   token, the status line, and the list of problems tied to elements. No inline script
   (CSP): every page passes its data in <script type="application/json"> blocks. */
(function () {
  "use strict";
  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }
  var data = readJSON("editor-data");
  var texts = readJSON("editor-text");

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify(body)
    });
  }

  function status(message, kind) {
    var node = document.getElementById("editor-status");
    if (node) {
      node.textContent = message;
      node.className = "editor-status" + (kind ? " " + kind : "");
    }
  }

  /* A counted text: "<name>One" (rendered with ngettext for 1) when n is 1, else
     "<name>" (rendered for 2); Chinese has one form, so both are the same there. */
  function plural(name, n) {
    var text = (n === 1 && texts[name + "One"]) || texts[name];
    return text.replace("{n}", n);
  }

  function problemItem(problem, onPick) {
    var item = document.createElement("li");
    item.className = "problem";
    if (problem.element_id) {
      item.setAttribute("data-element", problem.element_id);
      var pick = document.createElement("button");
      pick.type = "button";
      pick.className = "link-button element-ref";
      pick.textContent = problem.element_id;
      pick.addEventListener("click", function () { onPick(problem); });
      item.appendChild(pick);
    }
    var where = problem.line ? " (" + texts.line.replace("{n}", problem.line) + ")" : "";
    item.appendChild(document.createTextNode(where + " " + problem.message));
    return item;
  }

  function showProblems(problems, onPick) {
    var box = document.getElementById("problems");
    var list = document.getElementById("problem-list");
    list.textContent = "";
    problems.forEach(function (p) { list.appendChild(problemItem(p, onPick)); });
    box.hidden = problems.length === 0;
    box.setAttribute("data-count", String(problems.length));
  }

  /* Another admin's save refused ours: who saved it when, and a line diff of their
     save against the text on screen (admin/_conflict.html holds the box). */
  function showConflict(conflict) {
    var box = document.getElementById("conflict");
    if (!box) { return; }
    box.hidden = !conflict;
    if (!conflict) { return; }
    document.getElementById("conflict-who").textContent = texts.conflictWho
      .replace("{user}", conflict.saved_by).replace("{when}", conflict.saved_at);
    var pre = document.getElementById("conflict-changes");
    pre.textContent = "";
    conflict.changes.split("\n").forEach(function (line) {
      if (!line) { return; }
      var span = document.createElement("span");
      var mark = line.charAt(0);
      span.className = line.slice(0, 2) === "@@" ? "hunk" :
        (line.slice(0, 3) !== "---" && mark === "-") ? "del" :
        (line.slice(0, 3) !== "+++" && mark === "+") ? "add" : "";
      span.textContent = line;
      pre.appendChild(span);
    });
    document.getElementById("conflict-same").hidden = !!conflict.changes;
    pre.hidden = !conflict.changes;
  }

  window.SignoffEditor = {
    data: data, texts: texts, postJSON: postJSON, status: status, plural: plural,
    showProblems: showProblems, showConflict: showConflict
  };
})();

/* The buttons every modeler page has: tabs (diagram / XML), save draft, check, deploy.
   ``adapter`` knows the modeler: getSource(), importSource(xml), highlight(problems),
   onChange(callback), pick(problem), and checkOnSave (check each saved draft quietly,
   so its problems show at once). Deploy is enabled only after a clean check of
   exactly the content on screen; the server checks again anyway. */
(function () {
  "use strict";
  var E = window.SignoffEditor;

  function byId(id) { return document.getElementById(id); }

  E.shell = function (adapter) {
    var checkedSource = null;
    var deployButton = byId("deploy");
    var xmlBox = byId("xml-source");
    var showingXml = false;
    var xmlAtSwitch = "";

    function source() {
      return showingXml ? Promise.resolve(xmlBox.value) : adapter.getSource();
    }
    var edits = 0;  /* a check answered after a later edit must not enable deploy */
    function changed() {
      edits += 1;
      checkedSource = null;
      deployButton.disabled = true;
      E.status(E.texts.unsaved, "dirty");
    }
    var replaceButton = byId("replace-draft");
    /* Someone saved the draft after this page opened: the work on screen stays, what
       their save holds is shown, and only a deliberate "save mine over it" (replace)
       overwrites their save. */
    function save(text, replace) {
      var body = { source: text, expected_version: E.data.draft_version };
      if (replace) { body.replace = true; }
      return E.postJSON(E.data.urls.save, body).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (body) {
            var said = response.status === 400 && body.error && body.error.message;
            E.status(said || (response.status === 409 ? E.texts.conflict : E.texts.failed),
                     "error");
            replaceButton.hidden = response.status !== 409;
            E.showConflict(body.conflict || null);
            throw new Error("save failed: " + response.status);
          });
        }
        return response.json();
      }).then(function (body) {
        E.data.draft_version = body.row_version;
        /* The line above the editor names the draft now open, as a reload would
           (markup rendered and escaped by the server's admin/_draft_state.html). */
        var state = byId("draft-state");
        if (state && typeof body.draft_state === "string") {
          state.innerHTML = body.draft_state;
        }
        replaceButton.hidden = true;
        E.showConflict(null);
        E.status(E.texts.saved, "ok");
        if (adapter.checkOnSave && text !== checkedSource) {
          check(text, true).catch(function () {});
        }
      });
    }
    /* ``quiet``: after a save, show the problems but leave the status saying "saved". */
    function check(text, quiet) {
      var at = edits;
      if (!quiet) { E.status(E.texts.checking); }
      return E.postJSON(E.data.urls.check, { source: text }).then(function (response) {
        if (!response.ok) {
          if (!quiet) { E.status(E.texts.failed, "error"); }
          throw new Error("check failed: " + response.status);
        }
        return response.json();
      }).then(function (body) {
        E.data.problems = body.problems;
        E.showProblems(body.problems, adapter.pick);
        adapter.highlight(body.problems);
        var clean = body.problems.length === 0;
        if (at === edits) {
          checkedSource = clean ? text : null;
          deployButton.disabled = !clean;
        }
        if (!quiet) {
          E.status(clean ? E.texts.clean : E.plural("problems", body.problems.length),
                   clean ? "ok" : "error");
        }
        return clean;
      });
    }
    function showTab(xml) {
      if (xml === showingXml) { return Promise.resolve(); }
      if (xml) {
        return adapter.getSource().then(function (text) {
          xmlBox.value = xmlAtSwitch = text;
          showingXml = true;
          byId("diagram-pane").hidden = true;
          byId("xml-pane").hidden = false;
          byId("tab-xml").setAttribute("aria-selected", "true");
          byId("tab-diagram").setAttribute("aria-selected", "false");
        });
      }
      var reimport = xmlBox.value !== xmlAtSwitch ?
        adapter.importSource(xmlBox.value) : Promise.resolve();
      return reimport.then(function () {
        showingXml = false;
        byId("diagram-pane").hidden = false;
        byId("xml-pane").hidden = true;
        byId("tab-xml").setAttribute("aria-selected", "false");
        byId("tab-diagram").setAttribute("aria-selected", "true");
      }, function () {
        E.status(E.texts.badXml, "error");
      });
    }

    adapter.onChange(changed);
    xmlBox.addEventListener("input", changed);
    byId("tab-diagram").addEventListener("click", function () { showTab(false); });
    byId("tab-xml").addEventListener("click", function () { showTab(true); });
    byId("save-draft").addEventListener("click", function () {
      source().then(function (text) { return save(text, false); }).catch(function () {});
    });
    replaceButton.addEventListener("click", function () {
      source().then(function (text) { return save(text, true); }).catch(function () {});
    });
    byId("check").addEventListener("click", function () {
      source().then(check).catch(function () {});
    });
    deployButton.addEventListener("click", function () {
      source().then(function (text) {
        var ready = text === checkedSource ? Promise.resolve(true) : check(text);
        return ready.then(function (clean) {
          if (!clean) { return; }
          return save(text, false).then(function () {
            E.status(E.texts.deploying);
            byId("deploy-form").submit();
          });
        });
      }).catch(function () {});
    });
    E.showProblems(E.data.problems || [], adapter.pick);
    return {
      problemsShown: function () { adapter.highlight(E.data.problems || []); }
    };
  };
})();
