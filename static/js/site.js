// Loaded in <head> (not deferred) so the "js" class is set before the first paint: the phone menu
// starts folded only when this script can unfold it. Then wires the Menu button.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  // Keyboard-only hints ("/" to search, "?" for shortcuts) are shown only where there is a keyboard.
  if (window.matchMedia("(hover: hover) and (pointer: fine)").matches) root.classList.add("has-keyboard");

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    toggle.hidden = false;
    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  });
})();
