// Keeps the staff inbox's SLA countdowns current without a reload. The server renders the text;
// this only recomputes it from data-sla-due every 30 seconds.
(function () {
  "use strict";
  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    return minutes >= 60 ? Math.floor(minutes / 60) + " h " + (minutes % 60) + " min" : minutes + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-sla-due")) - now) / 1000);
      if (isNaN(left)) { return; }
      el.textContent = el.getAttribute("data-sla-label") + ": " + (left >= 0 ? span(left) + " left" : "breached " + span(left) + " ago");
      el.classList.toggle("is-breached", left < 0);
    });
  }
  setInterval(tick, 30000);
}());
