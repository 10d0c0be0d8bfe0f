// Flagged images: the provider's safety checker flagged them, so they are blurred (CSS
// .flagged-image). Their "Flagged by … · Show" button reveals the images of its closest
// [data-flag-scope] (a gallery card, an image of the detail view) and becomes "Hide".
// Delegated from the document, so cards streamed into the gallery and the lightbox's
// content work too. A native <button>: Enter and Space work; aria-pressed tells the state.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-flag-reveal]") : null;
    if (!button) return;
    event.preventDefault();
    var scope = button.closest("[data-flag-scope]");
    if (!scope) return;
    var revealed = !scope.classList.contains("is-revealed");
    scope.classList.toggle("is-revealed", revealed);
    button.setAttribute("aria-pressed", revealed ? "true" : "false");
    var action = button.querySelector("[data-flag-action]");
    if (action) action.textContent = revealed ? "Hide" : "Show";
  });
})();
