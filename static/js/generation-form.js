// The generation form: choosing a model re-renders the whole form for that model (its
// limits and defaults; the select's hx-get). A value typed while that request is in flight
// is not in it, so the answer would put back the old value or the model's default. Record
// what is typed meanwhile and write it into the answer before it is swapped in.
(function () {
  "use strict";

  var FORM = "generation-form";
  var typed = null; // field name -> value typed since the re-render was asked for

  function isModelSelect(elt) {
    return elt && elt.matches && elt.matches("#" + FORM + " select[name=model]");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isModelSelect(event.detail.elt)) typed = {};
  });

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (typed && field.form && field.form.id === FORM && field.name && field.name !== "model") {
      typed[field.name] = field.value;
    }
  }, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!typed || !isModelSelect(event.detail.requestConfig && event.detail.requestConfig.elt)) return;
    var names = Object.keys(typed);
    if (!names.length || !event.detail.shouldSwap) { typed = null; return; }
    var template = document.createElement("template");
    template.innerHTML = event.detail.serverResponse;
    var form = template.content.getElementById(FORM);
    names.forEach(function (name) {
      var field = form && form.querySelector('[name="' + name + '"]');
      if (!field || field.disabled) return;
      if (field.tagName === "TEXTAREA") field.textContent = typed[name];
      else if (field.tagName === "INPUT") field.setAttribute("value", typed[name]);
    });
    if (form) {
      form.dataset.keptTyped = "true";
      event.detail.serverResponse = template.innerHTML;
    }
    typed = null;
  });

  // The answer's estimate was made for the values it was asked with: ask again.
  document.addEventListener("htmx:load", function (event) {
    var form = event.detail.elt;
    if (form && form.id === FORM && form.dataset.keptTyped) {
      delete form.dataset.keptTyped;
      if (window.htmx) window.htmx.trigger(form, "input");
    }
  });
})();
