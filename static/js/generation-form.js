// The generation form: choosing a model re-renders the form's body for that model (its
// limits and defaults; the select's hx-get). A value typed while that request is in flight
// is not in it, so the answer would put back the old value or the model's default. Record
// what is typed meanwhile and write it into the answer before it is swapped in.
(function () {
  "use strict";

  var FORM = "generation-form";
  var typed = null; // field name -> value typed since the re-render was asked for
  var askEstimate = false; // the swapped-in body kept typed values its estimate did not see

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
    var body = template.content;
    names.forEach(function (name) {
      var field = body.querySelector('[name="' + name + '"]');
      if (!field || field.disabled) return;
      if (field.type === "radio") checkRadio(body, name, typed[name], typed);
      else if (field.tagName === "TEXTAREA") field.textContent = typed[name];
      else if (field.tagName === "INPUT") field.setAttribute("value", typed[name]);
    });
    event.detail.serverResponse = template.innerHTML;
    askEstimate = true;
    typed = null;
  });

  // A preset (aspect) picked meanwhile: check it in the answer and take its size for the
  // new model, unless a size was typed after it.
  function checkRadio(body, name, value, typed) {
    var chosen = null;
    body.querySelectorAll('input[name="' + name + '"]').forEach(function (radio) {
      if (radio.value === value) chosen = radio;
      radio.removeAttribute("checked");
    });
    if (!chosen) return;
    chosen.setAttribute("checked", "");
    ["width", "height"].forEach(function (side) {
      var input = body.querySelector('input[name="' + side + '"]');
      if (input && chosen.dataset[side] && !(side in typed)) input.setAttribute("value", chosen.dataset[side]);
    });
  }

  // The answer's estimate was made for the values it was asked with: ask again.
  document.addEventListener("htmx:afterSettle", function (event) {
    var form = event.detail.target;
    if (askEstimate && form && form.id === FORM) {
      askEstimate = false;
      if (window.htmx) window.htmx.trigger(form, "input");
    }
  });
})();

// The prompt bar: aspect presets fill Width/Height, a prompt counter, Ctrl/Cmd+Enter
// submits, the model list shows each model's price, Advanced stays open across re-renders,
// and a new card is scrolled into view when it lands out of sight.
(function () {
  "use strict";

  var FORM = "generation-form";

  function theForm() { return document.getElementById(FORM); }

  // Characters as the server counts them: a browser sends each line break as CR LF.
  function promptLength(text) { return text.length + (text.match(/\n/g) || []).length; }

  function updateCounter(form) {
    var prompt = form.querySelector("textarea[name=prompt]");
    var counter = form.querySelector("[data-prompt-counter]");
    if (!prompt || !counter) return;
    var limit = parseInt(prompt.dataset.maxLength, 10);
    var length = promptLength(prompt.value);
    var over = length > limit;
    counter.querySelector("[data-count]").textContent = length;
    counter.querySelector("[data-excess]").textContent = over ? length - limit : 0;
    counter.querySelector("[data-over]").hidden = !over;
    counter.classList.toggle("prompt-bar__counter--over", over);
    prompt.setAttribute("aria-invalid", over ? "true" : "false");
  }

  function field(form, name) { return form.querySelector('[name="' + name + '"]'); }

  function updateSizeSummary(form) {
    var summary = form.querySelector("[data-size-summary]");
    var width = field(form, "width"), height = field(form, "height");
    if (summary && width && height) summary.textContent = width.value + "×" + height.value + " px";
  }

  // Typing a size picks the preset that has it, else "Custom".
  function matchAspect(form) {
    var width = field(form, "width"), height = field(form, "height");
    var radios = form.querySelectorAll("input[name=aspect]");
    var match = null;
    radios.forEach(function (radio) {
      if (radio.value && radio.dataset.width === width.value && radio.dataset.height === height.value) match = radio;
    });
    radios.forEach(function (radio) { radio.checked = match ? radio === match : !radio.value; });
  }

  function showPrices(form) {
    var list = document.getElementById("model-prices");
    var select = field(form, "model");
    if (!list || !select) return;
    var prices = {};
    list.querySelectorAll("li[data-model]").forEach(function (item) { prices[item.dataset.model] = item.textContent; });
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.dataset.label) option.dataset.label = option.textContent;
      var price = prices[option.value];
      option.textContent = price ? option.dataset.label + " · " + price + "/image" : option.dataset.label;
    });
  }

  function init(form) {
    var aspects = form.querySelector("[data-aspects]");
    if (aspects) aspects.hidden = false;
    updateCounter(form);
    showPrices(form);
  }

  document.addEventListener("change", function (event) {
    var radio = event.target;
    var form = radio.form;
    if (!form || form.id !== FORM || radio.name !== "aspect" || !radio.value) return;
    field(form, "width").value = radio.dataset.width;
    field(form, "height").value = radio.dataset.height;
    updateSizeSummary(form);
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    var form = target.form;
    if (!form || form.id !== FORM) return;
    if (target.name === "prompt") updateCounter(form);
    if (target.name === "width" || target.name === "height") {
      matchAspect(form);
      updateSizeSummary(form);
    }
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) anywhere in the bar generates.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.form || (event.target.closest && event.target.closest("#" + FORM));
    if (!form || form.id !== FORM) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button && !button.disabled) form.requestSubmit(button);
  });

  // The welcome's examples fill the prompt bar (and pick their aspect).
  document.addEventListener("click", function (event) {
    var example = event.target.closest && event.target.closest("[data-example-prompt]");
    var form = theForm();
    if (!example || !form) return;
    var prompt = field(form, "prompt");
    prompt.value = example.dataset.examplePrompt;
    prompt.dispatchEvent(new Event("input", { bubbles: true }));
    var aspect = form.querySelector('input[name=aspect][value="' + example.dataset.exampleAspect + '"]');
    if (aspect && !aspect.checked) aspect.click();
    prompt.focus();
  });

  // A re-rendered form body (another model, errors; in the answer itself or out of band
  // after a submit) keeps Advanced open if it was.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = theForm();
    var advanced = form && form.querySelector("[data-advanced]");
    var response = event.detail.serverResponse;
    if (!advanced || !advanced.open || typeof response !== "string") return;
    var target = event.detail.target;
    if (!(target && target.id === FORM) && response.indexOf(":#" + FORM + '"') === -1) return;
    event.detail.serverResponse = response.replace("data-advanced", "data-advanced open");
  });

  function initSwapped(event) {
    var target = event.detail.target;
    if (target && target.id === FORM) init(target);
  }
  document.addEventListener("htmx:afterSwap", initSwapped);
  document.addEventListener("htmx:oobAfterSwap", initSwapped);

  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "estimate" && theForm()) showPrices(theForm());
  });

  // The submit's answer puts the new card on top of the gallery: the welcome (shown until
  // the member's first generation, as the server decides on the next page) has done its
  // work, and the card is made sure to be in sight.
  document.addEventListener("htmx:afterSettle", function (event) {
    var requester = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!requester || requester.id !== FORM || event.detail.target.id !== "gallery-cards") return;
    var welcome = document.getElementById("welcome");
    if (welcome) welcome.remove();
    var card = event.detail.target.firstElementChild;
    if (!card) return;
    var box = card.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) card.scrollIntoView({ block: "nearest" });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { if (theForm()) init(theForm()); });
  } else if (theForm()) {
    init(theForm());
  }
})();

// The prompt bar's Compare link takes the prompt typed so far to the compare form.
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest && event.target.closest("a[data-compare-link]");
  var prompt = link && link.closest("form") && link.closest("form").elements.prompt;
  if (!prompt || !prompt.value) return;
  var url = new URL(link.href, window.location.href);
  url.searchParams.set("prompt", prompt.value);
  link.href = url.toString();
});
