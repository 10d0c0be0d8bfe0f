// The detail page as a lightbox, progressive: "Copy prompt" and "Zoom" (hidden without JS),
// click an image to see it at 100 %, ← / → (and a swipe) step through the gallery's filtered
// order (the Previous/Next links), Esc closes back to the gallery where the user was.
(function () {
  "use strict";

  var RETURN = "fluxweb-lightbox-return"; // set by gallery.js when a card opens the lightbox

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

  var stage = document.querySelector("[data-image-nav]");
  var zoomButton = document.querySelector("[data-zoom-toggle]");
  function zoom(on) {
    if (!stage) return;
    stage.classList.toggle("is-zoomed", on);
    if (zoomButton) zoomButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  if (zoomButton) {
    zoomButton.hidden = false;
    zoomButton.addEventListener("click", function () { zoom(!stage.classList.contains("is-zoomed")); });
  }
  document.querySelectorAll("img[data-zoom]").forEach(function (img) {
    img.addEventListener("click", function () { zoom(!stage.classList.contains("is-zoomed")); });
  });

  // Stepping replaces this history entry, so Esc (history.back) returns to the gallery.
  function step(direction) {
    var link = document.querySelector('[data-step="' + direction + '"]');
    if (link) location.replace(link.href);
  }

  function close() {
    var from = null;
    try { from = sessionStorage.getItem(RETURN); sessionStorage.removeItem(RETURN); } catch (e) { /* no storage */ }
    if (from && history.length > 1) { history.back(); return; }
    var link = document.querySelector("[data-close]");
    if (link) location.assign(link.href);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    if (event.key === "ArrowRight") { event.preventDefault(); step("next"); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); step("previous"); }
    else if (event.key === "Escape") {
      if (document.querySelector("details[open]:focus-within")) return;
      event.preventDefault(); close();
    }
  });

  // A horizontal swipe on the images: left for the next one, right for the previous.
  var startX = null, startY = null;
  if (stage) {
    stage.addEventListener("touchstart", function (event) {
      if (event.touches.length !== 1 || stage.classList.contains("is-zoomed")) { startX = null; return; }
      startX = event.touches[0].clientX; startY = event.touches[0].clientY;
    }, { passive: true });
    stage.addEventListener("touchend", function (event) {
      if (startX === null) return;
      var dx = event.changedTouches[0].clientX - startX, dy = event.changedTouches[0].clientY - startY;
      startX = null;
      if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? "next" : "previous");
    }, { passive: true });
  }
})();
