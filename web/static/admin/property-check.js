/* The task properties a deploy checks (assignTo, subject, dueIn, …), as the BPMN
   editor's panel shows them: a value is checked by the engine's own rule as soon as the
   admin changes it, and a problem the last check or deploy found is shown under the
   field it concerns, so neither has to be looked for in the XML. */
(function () {
  "use strict";
  var E = window.SignoffEditor;
  var found = {};  /* "<element id> <property>" -> what is wrong with its value */

  function key(elementId, name) { return elementId + " " + name; }

  E.propertyProblems = {
    /* Whether the deploy checks this property (the panel then checks it too). */
    checked: function (name) { return (E.data.checked_properties || []).indexOf(name) >= 0; },
    /* Replace what is known with the problems of a check or a refused deploy. */
    load: function (problems) {
      found = {};
      problems.forEach(function (p) {
        if (p.property && p.element_id) { found[key(p.element_id, p.property)] = p.message; }
      });
    },
    message: function (elementId, name) { return found[key(elementId, name)] || ""; },
    /* Ask the server (the engine's rule) about a new value; resolves to the message. */
    check: function (elementId, name, value) {
      var at = key(elementId, name);
      if (!value) {
        delete found[at];
        return Promise.resolve("");
      }
      return E.postJSON(E.data.urls.property, { name: name, value: value })
        .then(function (response) {
          if (!response.ok) { throw new Error("property check failed: " + response.status); }
          return response.json();
        }).then(function (body) {
          if (body.valid) { delete found[at]; } else { found[at] = body.message; }
          return found[at] || "";
        });
    }
  };
})();
