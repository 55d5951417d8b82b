/* The admin BPMN editor: the vendored bpmn-js modeler plus a properties panel for what
   Signoff's engine reads (names in both languages, lanes as groups, forms, who a task
   goes to, its subject in the inbox, instructions, due times, reminders, escalation,
   priority, SMS, scripts, called decisions and processes, conditions, timers, the
   correlation key a message waits for, the outcome an end event names). Properties the deploy checks are checked as they change
   (property-check.js), and their problems are shown under their fields.
   Every edit goes through bpmn-js commands, so undo/redo works and the diagram saves. */
(function () {
  "use strict";
  var E = window.SignoffEditor;
  var T = E.texts;
  var checks = E.propertyProblems;
  var container = document.getElementById("canvas");
  var panel = document.getElementById("properties");
  if (!container || typeof window.BpmnJS !== "function") {
    E.status(T.failed, "error");
    return;
  }
  var modeler = new window.BpmnJS({
    container: container,
    moddleExtensions: { spiffworkflow: window.SignoffSpiffModdle }
  });
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var canvas = modeler.get("canvas");
  var registry = modeler.get("elementRegistry");
  var marked = [];
  var current = null;
  var editing = false;  /* the panel itself is changing the model: do not redraw it */

  /* ---- reading and writing the spiffworkflow extension elements ---- */
  function extValues(bo) {
    return (bo.extensionElements && bo.extensionElements.values) || [];
  }
  function findExt(bo, type) {
    return extValues(bo).filter(function (v) { return v.$type === type; })[0];
  }
  function ensureExt(element, bo) {
    if (!bo.extensionElements) {
      modeling.updateModdleProperties(element, bo, {
        extensionElements: moddle.create("bpmn:ExtensionElements", { values: [] })
      });
    }
    return bo.extensionElements;
  }
  function property(bo, name) {
    var holder = findExt(bo, "spiffworkflow:Properties");
    var found = holder && (holder.properties || []).filter(function (p) {
      return p.name === name;
    })[0];
    return found ? found.value || "" : "";
  }
  function setProperty(element, bo, name, value) {
    var ext = ensureExt(element, bo);
    var holder = findExt(bo, "spiffworkflow:Properties");
    if (!holder) {
      if (!value) { return; }
      holder = moddle.create("spiffworkflow:Properties", { properties: [] });
      modeling.updateModdleProperties(element, ext, { values: ext.values.concat([holder]) });
    }
    var list = holder.properties || [];
    var found = list.filter(function (p) { return p.name === name; })[0];
    if (!value) {
      if (found) {
        modeling.updateModdleProperties(element, holder, {
          properties: list.filter(function (p) { return p !== found; })
        });
      }
    } else if (found) {
      modeling.updateModdleProperties(element, found, { value: value });
    } else {
      var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
      modeling.updateModdleProperties(element, holder, { properties: list.concat([created]) });
    }
  }
  function bodyOf(bo, type) {
    var found = findExt(bo, type);
    return found ? found.value || "" : "";
  }
  function setBody(element, bo, type, value) {
    var ext = ensureExt(element, bo);
    var found = findExt(bo, type);
    if (!value) {
      if (found) {
        modeling.updateModdleProperties(element, ext, {
          values: ext.values.filter(function (v) { return v !== found; })
        });
      }
    } else if (found) {
      modeling.updateModdleProperties(element, found, { value: value });
    } else {
      var created = moddle.create(type, { value: value });
      modeling.updateModdleProperties(element, ext, { values: ext.values.concat([created]) });
    }
  }
  function expression(value) {
    return value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
  }

  /* ---- which fields an element gets ---- */
  function is(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }
  function timerOf(bo) {
    return (bo.eventDefinitions || []).filter(function (d) {
      return d.$type === "bpmn:TimerEventDefinition";
    })[0];
  }
  function messageOf(bo) {
    return (bo.eventDefinitions || []).filter(function (d) {
      return d.$type === "bpmn:MessageEventDefinition";
    })[0];
  }
  function timerKind(timer) {
    return ["timeDuration", "timeDate", "timeCycle"].filter(function (k) {
      return timer[k];
    })[0] || "timeDuration";
  }
  function fieldsFor(element) {
    var bo = element.businessObject;
    var target = element;
    var fields = [];
    if (is(bo, "bpmn:Participant") && bo.processRef) {
      fields.push({ label: T.participant, value: bo.name || "", set: function (v) {
        modeling.updateLabel(element, v);
      } });
      bo = bo.processRef;
    }
    var isProcess = is(bo, "bpmn:Process");
    fields.push({ label: T.id, value: bo.id, readonly: true });
    if (is(bo, "bpmn:Lane")) {
      fields.push({ label: T.lane, value: bo.name || "", options: E.data.groups,
                    set: function (v) { modeling.updateLabel(element, v); } });
      return fields;
    }
    fields.push({ label: T.name, value: bo.name || "", set: function (v) {
      if (isProcess) { modeling.updateModdleProperties(target, bo, { name: v }); }
      else { modeling.updateLabel(element, v); }
    } });
    fields.push(propField(target, bo, "name_en", T.nameEn));
    if (isProcess) {
      fields.push(propField(target, bo, "description", T.description, true));
      fields.push(propField(target, bo, "description_en", T.descriptionEn, true));
      return fields;
    }
    if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask") || is(bo, "bpmn:StartEvent")) {
      fields.push(formField(target, bo));
    }
    if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask")) {
      fields.push(assigneeField(target, bo));
      fields.push(propField(target, bo, "subject", T.subject));
      fields.push({ label: T.instructions, long: true,
                    value: bodyOf(bo, "spiffworkflow:InstructionsForEndUser"),
                    set: function (v) {
                      setBody(target, bo, "spiffworkflow:InstructionsForEndUser", v);
                    } });
      fields.push(propField(target, bo, "instructions_en", T.instructionsEn, true));
      ["dueIn", "dueInVariable", "dueInWorkingDays", "dueBy", "remindBefore",
       "escalation", "priority", "smsOutbox", "assignToVariable", "aboutVariable",
       "visibleData", "visibleSteps"].forEach(function (name) {
        fields.push(propField(target, bo, name, T[name]));
      });
    }
    if (is(bo, "bpmn:ScriptTask")) {
      fields.push({ label: T.script, long: true, code: true,
                    value: bo.script || "", set: function (v) {
                      modeling.updateModdleProperties(target, bo,
                                                      { script: v, scriptFormat: "python" });
                    } });
    }
    if (is(bo, "bpmn:BusinessRuleTask")) {
      fields.push({ label: T.decision, options: E.data.decisions,
                    value: bodyOf(bo, "spiffworkflow:CalledDecisionId"), set: function (v) {
                      setBody(target, bo, "spiffworkflow:CalledDecisionId", v);
                    } });
    }
    if (is(bo, "bpmn:CallActivity")) {
      fields.push({ label: T.calledProcess, options: E.data.processes,
                    value: bo.calledElement || "", set: function (v) {
                      modeling.updateModdleProperties(target, bo, { calledElement: v });
                    } });
    }
    if (is(bo, "bpmn:Activity") && !is(bo, "bpmn:SubProcess")) {
      ["PreScript", "PostScript"].forEach(function (name) {
        var type = "spiffworkflow:" + name;
        fields.push({ label: T[name], long: true, code: true, value: bodyOf(bo, type),
                      set: function (v) { setBody(target, bo, type, v); } });
      });
    }
    if (is(bo, "bpmn:SequenceFlow") && bo.sourceRef && (
      is(bo.sourceRef, "bpmn:ExclusiveGateway") || is(bo.sourceRef, "bpmn:InclusiveGateway"))) {
      fields.push({ label: T.condition, code: true,
                    value: bo.conditionExpression ? bo.conditionExpression.body || "" : "",
                    set: function (v) {
                      modeling.updateModdleProperties(target, bo,
                                                      { conditionExpression: expression(v) });
                    } });
    }
    if (is(bo, "bpmn:EndEvent")) {
      fields.push({ label: T.outcome, options: E.data.outcomes,
                    value: property(bo, "outcome"), set: function (v) {
                      setProperty(target, bo, "outcome", v);
                    } });
    }
    if (is(bo, "bpmn:ReceiveTask") || (is(bo, "bpmn:CatchEvent") &&
        !is(bo, "bpmn:StartEvent") && messageOf(bo))) {
      fields.push(propField(target, bo, "correlationKey", T.correlationKey));
    }
    var timer = is(bo, "bpmn:Event") && timerOf(bo);
    if (timer) { fields = fields.concat(timerFields(target, timer)); }
    return fields;
  }

  function propField(target, bo, name, label, long) {
    return { label: label, long: !!long, value: property(bo, name), property: name,
             set: function (v) { setProperty(target, bo, name, v); } };
  }
  function assigneeField(target, bo) {
    var field = propField(target, bo, "assignTo", T.assignTo);
    field.options = ["starter"];
    field.optionLabels = { "": T.assignToLane, starter: T.assignToStarter };
    return field;
  }
  function formField(target, bo) {
    var value = property(bo, "formJsonSchemaFilename").replace(/\.json$/, "");
    return { label: T.form, options: E.data.forms, value: value, set: function (v) {
      setProperty(target, bo, "formJsonSchemaFilename", v ? v + ".json" : "");
    } };
  }
  function timerFields(target, timer) {
    var kind = timerKind(timer);
    var current = timer[kind] ? timer[kind].body || "" : "";
    function write(newKind, body) {
      var props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      props[newKind] = expression(body);
      modeling.updateModdleProperties(target, timer, props);
    }
    return [
      { label: T.timerKind, value: kind, required: true,
        options: ["timeDuration", "timeDate", "timeCycle"],
        set: function (v) { write(v, current); } },
      { label: T.timerExpression, code: true, value: current,
        set: function (v) { write(kind, v); } }
    ];
  }

  /* ---- drawing the panel ---- */
  function control(field, id, onSet) {
    var input;
    if (field.options) {
      input = document.createElement("select");
      var choices = field.options.slice();
      if (!field.required) { choices.unshift(""); }
      if (field.value && choices.indexOf(field.value) < 0) { choices.push(field.value); }
      choices.forEach(function (choice) {
        var option = document.createElement("option");
        option.value = choice;
        option.textContent = (field.optionLabels && field.optionLabels[choice]) ||
          choice || T.none;
        option.selected = choice === field.value;
        input.appendChild(option);
      });
    } else {
      input = document.createElement(field.long ? "textarea" : "input");
      input.value = field.value;
      if (field.long) { input.rows = 4; }
    }
    input.id = id;
    if (field.code) { input.className = "code"; input.spellcheck = false; }
    if (field.readonly) { input.readOnly = true; }
    if (field.set) {
      input.addEventListener("change", function () {
        editing = true;
        try { field.set(input.value.trim()); } finally { editing = false; }
        if (onSet) { onSet(input.value.trim()); }
      });
    }
    return input;
  }

  /* The message under a checked property's field: the panel's own check of the value
     typed, else the problem the last check or deploy found with it. */
  function problemSlot(input, elementId, name) {
    var slot = document.createElement("p");
    slot.className = "field-error";
    slot.id = input.id + "-problem";
    slot.setAttribute("role", "alert");
    slot.setAttribute("data-property", name);
    function show(message) {
      slot.textContent = message;
      slot.hidden = !message;
      if (message) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", slot.id);
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    }
    show(checks.message(elementId, name));
    return {
      node: slot,
      recheck: function (value) {
        checks.check(elementId, name, value).then(show, function () {
          E.status(T.failed, "error");
        });
      }
    };
  }

  function render(element) {
    current = element;
    panel.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = T.properties;
    panel.appendChild(heading);
    if (!element || !element.businessObject) { return; }
    var type = document.createElement("p");
    type.className = "muted element-type";
    type.textContent = element.businessObject.$type.replace("bpmn:", "");
    panel.appendChild(type);
    var elementId = element.businessObject.id;
    fieldsFor(element).forEach(function (field, index) {
      var wrap = document.createElement("div");
      wrap.className = "field";
      var label = document.createElement("label");
      label.htmlFor = "prop-" + index;
      label.textContent = field.label;
      wrap.appendChild(label);
      var slot = null;
      var input = control(field, "prop-" + index, function (value) {
        if (slot) { slot.recheck(value); }
      });
      wrap.appendChild(input);
      if (field.property && checks.checked(field.property)) {
        slot = problemSlot(input, elementId, field.property);
        wrap.appendChild(slot.node);
      }
      panel.appendChild(wrap);
    });
  }

  function rootElement() {
    var root = canvas.getRootElement();
    if (root && is(root.businessObject, "bpmn:Collaboration")) {
      return registry.filter(function (e) { return e.type === "bpmn:Participant"; })[0];
    }
    return root;
  }

  /* ---- problems on the diagram ---- */
  function highlight(problems) {
    checks.load(problems);
    if (current && !editing) { render(current); }
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    marked = [];
    problems.forEach(function (p) {
      (p.highlight.length ? p.highlight : [p.element_id]).forEach(function (id) {
        if (id && registry.get(id) && marked.indexOf(id) < 0) {
          canvas.addMarker(id, "has-problem");
          marked.push(id);
        }
      });
    });
    container.setAttribute("data-marked", marked.join(" "));
  }
  function pick(problem) {
    var id = (problem.highlight || []).concat([problem.element_id]).filter(function (i) {
      return i && registry.get(i);
    })[0];
    if (id) {
      modeler.get("selection").select(registry.get(id));
      canvas.scrollToElement(registry.get(id));
    }
  }

  function importSource(xml) {
    return modeler.importXML(xml).then(function (result) {
      canvas.zoom("fit-viewport", "auto");
      render(rootElement());
      container.setAttribute("data-state", "rendered");
      if (result.warnings && result.warnings.length) {
        E.status(E.plural("importWarnings", result.warnings.length), "error");
      }
      highlight(E.data.problems || []);
    });
  }

  modeler.on("selection.changed", function (event) {
    render(event.newSelection[0] || rootElement());
  });
  modeler.on("element.changed", function (event) {
    if (!editing && current && event.element === current) {
      render(current);
    }
  });

  E.shell({
    getSource: function () {
      return modeler.saveXML({ format: true }).then(function (r) { return r.xml; });
    },
    importSource: importSource,
    highlight: highlight,
    pick: pick,
    checkOnSave: true,  /* a bad value saved anyway shows the deploy's own problem */
    onChange: function (callback) { modeler.on("commandStack.changed", callback); }
  });
  importSource(E.data.xml).catch(function (error) {
    container.setAttribute("data-state", "error");
    var noLayout = /no diagram to display/.test(error.message);  /* a file without DI */
    E.status(noLayout ? T.noDiagram : T.badXml + " " + error.message, "error");
  });
})();
