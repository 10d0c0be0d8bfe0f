// Live gallery: put each card the server streams (SSE event "generation") in place,
// newest version wins (new cards only on the unfiltered first page), drop the cards of
// deleted generations (SSE event "deleted"), and tick the "elapsed" counters of
// queued/running cards.
(function () {
  "use strict";

  // Ids of cards deleted while this page was open: a late copy must not bring one back.
  var deleted = new Set();

  function removeCard(id) {
    deleted.add(id);
    document.querySelectorAll('[id="' + id + '"]').forEach(function (card) { card.remove(); });
  }

  function createdAt(card) {
    var time = card.querySelector(".card__meta time[datetime]");
    return time ? Date.parse(time.getAttribute("datetime")) : 0;
  }

  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function focusKey(el) {
    return [el.tagName, el.getAttribute("href") || "", el.getAttribute("name") || "",
            (el.textContent || "").trim()].join("|");
  }

  // A card replaced while the keyboard is on one of its controls: after the swap, put the
  // focus back on that control (the star's node moves into the new card), else on the new
  // card's control that matches it, else on its first one. Without this the focus fell to
  // the page's body and the next Tab started over from the top.
  function keepFocus(existing, card) {
    var active = document.activeElement;
    if (!active || !existing.contains(active)) return function () {};
    var key = focusKey(active);
    return function () {
      if (card.contains(active)) { active.focus({ preventScroll: true }); return; }
      var controls = Array.prototype.slice.call(card.querySelectorAll(FOCUSABLE));
      var match = controls.find(function (el) { return focusKey(el) === key; }) || controls[0];
      if (match) match.focus({ preventScroll: true });
    };
  }

  function upsertCard(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var card = template.content.firstElementChild;
    if (!card || !card.id || deleted.has(card.id)) return;
    // The card's images are lazy for page loads (most cards are below the fold), but a
    // streamed card is the one the user is waiting for: fetch its image right away,
    // before it is even in the page.
    card.querySelectorAll('img[loading="lazy"]').forEach(function (img) {
      img.loading = "eager";
      img.setAttribute("fetchpriority", "high");
    });
    dropForeignCancel(card);
    var existing = document.getElementById(card.id);
    noticeFinished(existing, card);
    if (existing) {
      if ((existing.dataset.version || "") > (card.dataset.version || "")) return;
      // Streamed cards are the same for everyone: keep this user's star as shown.
      var oldStar = existing.querySelector(".star-form");
      var newStar = card.querySelector(".star-form");
      var refocus = keepFocus(existing, card);
      if (oldStar && newStar) newStar.replaceWith(oldStar);
      existing.replaceWith(card);
      refocus();
    } else {
      var cards = document.getElementById("gallery-cards");
      // Filtered or older pages only update the cards they show.
      if (!cards || cards.dataset.liveInsert === "false") return;
      // Only new generations go on top: a change to an older one that this page does not
      // show (an admin pinning it, say) belongs further down, on a page not loaded.
      var newest = cards.querySelector(":scope > article.card");
      if (newest && createdAt(card) < createdAt(newest)) return;
      var empty = document.getElementById("gallery-empty");
      if (empty) empty.remove();
      cards.prepend(card);
    }
    if (window.htmx) window.htmx.process(card);
  }

  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    if (event.detail.type === "generation") {
      event.preventDefault();
      upsertCard(event.detail.data);
    } else if (event.detail.type === "deleted") {
      event.preventDefault();
      if (/^generation-\d+$/.test(event.detail.data)) removeCard(event.detail.data);
    }
  });

  // Keep one card per generation, the newest version: the stream can deliver a card
  // before the submit response that prepends the same card in its queued state.
  function keepNewest(id) {
    var copies = document.querySelectorAll('[id="' + id + '"]');
    if (copies.length < 2) return;
    var newest = copies[0];
    copies.forEach(function (card) {
      if ((card.dataset.version || "") > (newest.dataset.version || "")) newest = card;
    });
    copies.forEach(function (card) { if (card !== newest) card.remove(); });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "gallery-cards" && event.detail.shouldSwap) {
      var empty = document.getElementById("gallery-empty");
      if (empty) empty.remove();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "gallery-cards") return;
    event.detail.target.querySelectorAll(":scope > article.card").forEach(function (card) {
      keepNewest(card.id);
    });
  });

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
      var since = Date.parse(el.dataset.elapsedSince);
      if (!isNaN(since)) el.textContent = Math.max(0, Math.floor((now - since) / 1000)) + " s";
    });
  }
  setInterval(tick, 1000);

  // The filter form searches as one types ("input" events). The search box's "change",
  // fired when it loses focus (say, by clicking a card's star), would search again for the
  // same words and replace the results while the star's request is on its way.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#filters input[type=search]")) event.stopPropagation();
  }, true);

  // A streamed card is the same for everyone: only its author and admins may cancel or retry.
  function dropForeignCancel(card) {
    var me = document.body.dataset.userId || "";
    if (document.body.hasAttribute("data-admin")) return;
    card.querySelectorAll("[data-own-action]").forEach(function (form) {
      if (!me || form.dataset.author !== me) form.remove();
    });
  }

  // Opt-in: a browser notification, and a count in the tab's title, when one of my
  // generations finishes while this tab is hidden.
  var finishedUnseen = 0;
  var baseTitle = document.title;
  var notifyButton = document.querySelector("[data-notify]");
  function notifyLabel() {
    var on = window.Notification && Notification.permission === "granted";
    notifyButton.setAttribute("aria-pressed", on ? "true" : "false");
    notifyButton.textContent = on ? "Notifications on" : "Notify me when my images are ready";
  }
  if (notifyButton && window.Notification && Notification.permission !== "denied") {
    notifyButton.hidden = false;
    notifyLabel();
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(notifyLabel);
    });
  }

  function noticeFinished(existing, card) {
    var me = document.body.dataset.userId;
    if (!existing || !me || card.dataset.author !== me || !document.hidden) return;
    var wasWaiting = existing.classList.contains("card--queued") || existing.classList.contains("card--running");
    var done = card.classList.contains("card--succeeded") || card.classList.contains("card--failed");
    if (!wasWaiting || !done) return;
    finishedUnseen += 1;
    document.title = "(" + finishedUnseen + ") " + baseTitle;
    if (window.Notification && Notification.permission === "granted") {
      var failed = card.classList.contains("card--failed");
      var prompt = card.querySelector(".card__prompt");
      new Notification(failed ? "A generation failed" : "Your image is ready", {
        body: prompt ? prompt.textContent.trim().slice(0, 120) : "",
        tag: card.id,
      });
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && finishedUnseen) {
      finishedUnseen = 0;
      document.title = baseTitle;
    }
  });
})();
