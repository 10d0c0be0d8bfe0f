// Detail view, progressive: "Copy prompt" (the button is hidden without JS),
// ← / → move between the images, Esc closes (back to where the user came from).
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });

  var images = Array.prototype.slice.call(document.querySelectorAll("[data-image-nav] figure"));
  var current = Math.max(0, images.findIndex(function (figure) { return "#" + figure.id === location.hash; }));

  function show(index) {
    if (!images.length) return;
    current = (index + images.length) % images.length;
    var figure = images[current];
    figure.focus({ preventScroll: true });
    figure.scrollIntoView({ block: "start", behavior: "smooth" });
    history.replaceState(history.state, "", "#" + figure.id);
  }

  function close() {
    var link = document.querySelector("[data-close]");
    var cameFromHere = document.referrer && new URL(document.referrer).origin === location.origin;
    if (cameFromHere && history.length > 1) history.back();
    else if (link) location.assign(link.href);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    if (event.key === "ArrowRight") { event.preventDefault(); show(current + 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); show(current - 1); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
  });
})();
