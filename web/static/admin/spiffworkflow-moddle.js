/* The spiffworkflow extension elements Signoff reads, described for bpmn-moddle, so the
   modeler keeps them when it saves and the properties panel can edit them.
   Same names as spiff-arena's editor: files stay editable there too. */
(function () {
  "use strict";
  function body(name) {
    return {
      name: name,
      superClass: ["Element"],
      properties: [{ name: "value", type: "String", isBody: true }]
    };
  }
  window.SignoffSpiffModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      {
        name: "Properties",
        superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }]
      },
      {
        name: "Property",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      },
      body("CalledDecisionId"),
      body("PreScript"),
      body("PostScript"),
      body("InstructionsForEndUser"),
      {
        name: "ScriptsOnInstances",
        isAbstract: true,
        "extends": ["bpmn:MultiInstanceLoopCharacteristics"],
        properties: [{ name: "scriptsOnInstances", type: "Boolean", isAttr: true }]
      }
    ]
  };
})();
