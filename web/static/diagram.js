/* Render the instance's BPMN diagram with the vendored bpmn-js viewer and mark the
   completed, active, waiting and errored elements. Data comes from the JSON block
   #diagram-data written by templates/instances/show.html; no inline script (CSP). */
(function () {
  "use strict";
  var STATES = ["completed", "active", "waiting", "errored"];
  var dataNode = document.getElementById("diagram-data");
  var container = document.getElementById("diagram");
  if (!dataNode || !container) {
    return;
  }
  function fail(error) {
    container.setAttribute("data-state", "error");
    var message = document.getElementById("diagram-error");
    if (message) {
      message.hidden = false;
    }
    if (window.console && error) {
      window.console.error("diagram:", error);
    }
  }
  if (typeof window.BpmnJS !== "function") {
    fail(new Error("bpmn-js is not loaded"));
    return;
  }
  var data = JSON.parse(dataNode.textContent);
  var viewer = new window.BpmnJS({ container: container });
  viewer.importXML(data.xml).then(function () {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    STATES.forEach(function (state) {
      (data[state] || []).forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, "state-" + state);
        }
      });
    });
    container.setAttribute("data-state", "rendered");
  }).catch(fail);
})();
