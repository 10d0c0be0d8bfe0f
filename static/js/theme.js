// Colour theme: follows the system (prefers-color-scheme) until the user picks one with
// the header's toggle; the choice is remembered in localStorage. Also the phone menu.
// Loaded in <head> without defer so the remembered theme applies before the first paint.
(function () {
  "use strict";

  var KEY = "fluxweb-theme";
  var root = document.documentElement;
  var stored = null;
  try { stored = localStorage.getItem(KEY); } catch (e) { /* storage disabled */ }
  if (stored === "dark" || stored === "light") root.dataset.theme = stored;
  root.classList.add("js");

  function isDark() {
    if (root.dataset.theme) return root.dataset.theme === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function label(button) {
    var dark = isDark();
    button.setAttribute("aria-pressed", dark ? "true" : "false");
    button.textContent = "Dark mode";
    button.title = dark ? "Switch to the light theme" : "Switch to the dark theme";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-theme-toggle]");
    if (toggle) {
      toggle.hidden = false;
      label(toggle);
      toggle.addEventListener("click", function () {
        root.dataset.theme = isDark() ? "light" : "dark";
        try { localStorage.setItem(KEY, root.dataset.theme); } catch (e) { /* not remembered */ }
        label(toggle);
      });
    }

    var menu = document.querySelector("[data-menu-toggle]");
    var nav = menu && document.getElementById(menu.getAttribute("aria-controls"));
    if (menu && nav) {
      menu.hidden = false;
      menu.addEventListener("click", function () {
        var open = menu.getAttribute("aria-expanded") !== "true";
        menu.setAttribute("aria-expanded", open ? "true" : "false");
        nav.classList.toggle("is-open", open);
      });
      document.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && nav.classList.contains("is-open")) {
          menu.setAttribute("aria-expanded", "false");
          nav.classList.remove("is-open");
          menu.focus();
        }
      });
    }
  });
})();
