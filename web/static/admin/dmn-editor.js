/* The admin decision-table editor: the vendored dmn-js modeler opened on the decision
   table, with the same draft / check / deploy buttons as the BPMN editor. Problems are
   marked on the rule cells they concern. */
(function () {
  "use strict";
  var E = window.SignoffEditor;
  var T = E.texts;
  var container = document.getElementById("canvas");
  if (!container || typeof window.DmnJS !== "function") {
    E.status(T.failed, "error");
    return;
  }
  var modeler = new window.DmnJS({ container: container });
  var listeners = [];

  function openTable() {
    var table = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? modeler.open(table) : Promise.resolve();
  }
  function watch() {
    var viewer = modeler.getActiveViewer();
    if (viewer) {
      viewer.get("eventBus").on("commandStack.changed", function () {
        listeners.forEach(function (callback) { callback(); });
      });
    }
  }
  function highlight(problems) {
    Array.prototype.forEach.call(container.querySelectorAll(".has-problem"), function (node) {
      node.classList.remove("has-problem");
    });
    var marked = [];
    problems.forEach(function (p) {
      (p.highlight.length ? p.highlight : [p.element_id]).forEach(function (id) {
        if (!id) { return; }
        var nodes = container.querySelectorAll(
          '[data-element-id="' + id + '"], [data-row-id="' + id + '"], [data-col-id="' + id + '"]');
        Array.prototype.forEach.call(nodes, function (node) { node.classList.add("has-problem"); });
        if (nodes.length) { marked.push(id); }
      });
    });
    container.setAttribute("data-marked", marked.join(" "));
  }
  function importSource(xml) {
    return modeler.importXML(xml).then(openTable).then(function () {
      watch();
      container.setAttribute("data-state", "rendered");
      highlight(E.data.problems || []);
    });
  }
  modeler.on("views.changed", watch);

  E.shell({
    getSource: function () {
      return modeler.saveXML({ format: true }).then(function (r) { return r.xml; });
    },
    importSource: importSource,
    highlight: highlight,
    pick: function (problem) {
      var node = container.querySelector('[data-element-id="' + problem.element_id + '"]');
      if (node) { node.scrollIntoView({ block: "center" }); }
    },
    onChange: function (callback) { listeners.push(callback); }
  });
  importSource(E.data.xml).catch(function (error) {
    container.setAttribute("data-state", "error");
    E.status(T.badXml + " " + error.message, "error");
  });
})();
