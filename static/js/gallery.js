// Live gallery: put each card the server streams (SSE event "generation") in place,
// newest version wins (new cards only on the unfiltered first page), and tick the
// "elapsed" counters of queued/running cards.
(function () {
  "use strict";

  function upsertCard(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var card = template.content.firstElementChild;
    if (!card || !card.id) return;
    var existing = document.getElementById(card.id);
    if (existing) {
      if ((existing.dataset.version || "") > (card.dataset.version || "")) return;
      // Streamed cards are the same for everyone: keep this user's star as shown.
      var oldStar = existing.querySelector(".star-form");
      var newStar = card.querySelector(".star-form");
      if (oldStar && newStar) newStar.replaceWith(oldStar);
      existing.replaceWith(card);
    } else {
      var cards = document.getElementById("gallery-cards");
      // Filtered or older pages only update the cards they show.
      if (!cards || cards.dataset.liveInsert === "false") return;
      var empty = document.getElementById("gallery-empty");
      if (empty) empty.remove();
      cards.prepend(card);
    }
    if (window.htmx) window.htmx.process(card);
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (event.detail.type !== "generation") return;
    event.preventDefault();
    upsertCard(event.detail.data);
  });

  // The submit response prepends the new card; a card already shown by the stream wins.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "gallery-cards" && event.detail.shouldSwap) {
      var empty = document.getElementById("gallery-empty");
      if (empty) empty.remove();
    }
  });

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.elapsedSince);
      if (!isNaN(since)) el.textContent = Math.max(0, Math.floor((now - since) / 1000)) + " s";
    });
  }
  setInterval(tick, 1000);
})();
