// The lightbox. Opening a card in the gallery shows its detail page (fetched, the #detail
// part) in a modal <dialog> over the gallery, at the detail page's own URL (pushState), so
// closing it leaves the gallery exactly where it was. ← / → and a horizontal swipe follow
// the Previous/Next links (the gallery's filtered order, worked out by the server), Esc or
// Close closes. The detail page opened on its own (a shared link, a reload, no JavaScript)
// works the same way with page loads. Copy prompt and Zoom are shown only with JavaScript.
(function () {
  "use strict";

  var dialog = null; // the in-page lightbox, while open
  var opener = null; // what had the focus before it opened
  var galleryTitle = document.title;
  var closing = false;

  function plainClick(event) {
    return event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
  }

  function reveal(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (navigator.clipboard) button.hidden = false;
    });
    root.querySelectorAll("[data-zoom-toggle]").forEach(function (button) { button.hidden = false; });
  }

  function zoom(lightbox) {
    var stage = lightbox && lightbox.querySelector("[data-image-nav]");
    if (!stage) return;
    var on = !stage.classList.contains("is-zoomed");
    stage.classList.toggle("is-zoomed", on);
    lightbox.querySelectorAll("[data-zoom-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function copy(button) {
    var root = button.closest(".lightbox") || document;
    var source = root.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  }

  // ---- The in-page dialog ----
  function ensureDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "lightbox-dialog";
    dialog.setAttribute("aria-label", "Image viewer");
    dialog.innerHTML = '<div class="lightbox-dialog__body" tabindex="-1"></div>';
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); close(); });
    // Closed by the browser itself (a repeated Esc): leave the lightbox's history entry too.
    dialog.addEventListener("close", function () {
      if (history.state && history.state.lightbox) { keepGalleryOnce(); history.back(); }
    });
    document.body.appendChild(dialog);
    return dialog;
  }

  function isOpen() { return dialog !== null && dialog.open; }

  // Fetch a detail page (following a Previous/Next redirect) and show its #detail part.
  function load(url, how) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text().then(function (html) { return { html: html, url: response.url }; });
    }).then(function (page) {
      var doc = new DOMParser().parseFromString(page.html, "text/html");
      var detail = doc.getElementById("detail");
      if (!detail) throw new Error("no detail");
      var body = ensureDialog().querySelector(".lightbox-dialog__body");
      var focusedStep = document.activeElement && document.activeElement.dataset
        ? document.activeElement.dataset.step : null;
      var nodes = [];
      var messages = doc.querySelector(".messages");
      if (messages) { messages.setAttribute("role", "status"); nodes.push(document.adoptNode(messages)); }
      nodes.push(document.adoptNode(detail));
      body.replaceChildren.apply(body, nodes);
      reveal(body);
      if (window.htmx) window.htmx.process(body);
      document.title = doc.title;
      var state = { lightbox: true };
      if (how === "push") history.pushState(state, "", page.url);
      else history.replaceState(state, "", page.url);
      if (!dialog.open) dialog.showModal();
      var again = focusedStep && body.querySelector('[data-step="' + focusedStep + '"]');
      (again || body).focus({ preventScroll: true });
    });
  }

  function open(link) {
    var url = new URL(link.href, location.href);
    var params = new URLSearchParams(location.search);
    ["cursor", "remix", "reuse"].forEach(function (name) { params.delete(name); });
    params.set("back", location.pathname + location.search);
    opener = link;
    galleryTitle = document.title;
    load(url.pathname + "?" + params.toString(), "push").catch(function () { location.assign(link.href); });
  }

  function closeNow() {
    if (!isOpen()) return;
    dialog.close();
    dialog.querySelector(".lightbox-dialog__body").replaceChildren();
    document.title = galleryTitle;
    if (opener && opener.isConnected) opener.focus({ preventScroll: true });
    closing = false;
  }

  function close() {
    if (closing) return;
    closing = true;
    if (history.state && history.state.lightbox) { keepGalleryOnce(); history.back(); } // popstate closes it
    else closeNow();
  }

  // Back (Esc, Close or the browser's) closes the lightbox over the gallery as it was; htmx
  // would otherwise reload the gallery for that history entry (its history restore), losing
  // the place. Forward opens it again.
  var keepGallery = false;
  function keepGalleryOnce() {
    keepGallery = true;
    setTimeout(function () { keepGallery = false; }, 1000);
  }
  document.addEventListener("htmx:before:history:restore", function (event) {
    if (keepGallery) { event.preventDefault(); keepGallery = false; }
  });
  window.addEventListener("popstate", function (event) {
    var toLightbox = history.state && history.state.lightbox;
    if (isOpen() && !toLightbox) {
      keepGalleryOnce();
      event.stopImmediatePropagation();
      closeNow();
    } else if (!isOpen() && toLightbox && document.getElementById("gallery-cards")) {
      load(location.href, "replace").catch(function () { location.reload(); });
    }
  }, true);

  function step(direction) {
    var root = isOpen() ? dialog : document;
    var link = root.querySelector('#detail [data-step="' + direction + '"]');
    if (!link) return;
    if (isOpen()) load(link.href, "replace").catch(function () { location.assign(link.href); });
    else location.replace(link.href); // the page on its own: Esc still goes back in one step
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var copyButton = target.closest("[data-copy]");
    if (copyButton) { copy(copyButton); return; }
    var zoomer = target.closest("img[data-zoom], [data-zoom-toggle]");
    if (zoomer) { zoom(zoomer.closest(".lightbox")); return; }
    if (!plainClick(event)) return;
    if (isOpen()) {
      var stepLink = target.closest("#detail [data-step]");
      if (stepLink) { event.preventDefault(); step(stepLink.dataset.step); return; }
      if (target.closest("#detail [data-close]")) { event.preventDefault(); close(); return; }
      return;
    }
    var card = target.closest("#gallery-cards a[href^='/generations/']");
    if (card && /^\/generations\/\d+\/$/.test(new URL(card.href, location.href).pathname) && window.DOMParser) {
      event.preventDefault();
      open(card);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (!document.getElementById("detail")) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    if (event.key === "ArrowRight") { event.preventDefault(); step("next"); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); step("previous"); }
    else if (event.key === "Escape") {
      if (document.querySelector("#detail details[open]:focus-within")) return;
      event.preventDefault();
      if (isOpen()) close();
      else {
        var back = document.querySelector("#detail [data-close]");
        if (back) location.assign(back.href);
      }
    }
  });

  // A horizontal swipe on the images: left for the next one, right for the previous.
  var startX = null, startY = null;
  document.addEventListener("touchstart", function (event) {
    var stage = event.target.closest && event.target.closest("[data-image-nav]");
    if (!stage || event.touches.length !== 1 || stage.classList.contains("is-zoomed")) { startX = null; return; }
    startX = event.touches[0].clientX; startY = event.touches[0].clientY;
  }, { passive: true });
  document.addEventListener("touchend", function (event) {
    if (startX === null) return;
    var dx = event.changedTouches[0].clientX - startX, dy = event.changedTouches[0].clientY - startY;
    startX = null;
    if (Math.abs(dx) > 60 && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? "next" : "previous");
  }, { passive: true });

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
})();
