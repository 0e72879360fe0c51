// Similar questions under the composer's title field (templates/search/_similar.html).
// Debounced lookups, results announced through an aria-live region, arrow keys move through the list.
(function () {
  "use strict";

  var DELAY_MS = 350;
  var MIN_TITLE = 8;

  function randomId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setup(box) {
    var titleField = document.getElementById(box.dataset.titleField);
    var bodyField = document.getElementById(box.dataset.bodyField);
    var list = box.querySelector("[data-similar-list]");
    var status = box.querySelector("[data-similar-status]");
    var fallback = box.querySelector(".similar-fallback");
    if (!titleField || !list || !status) return;
    if (fallback) fallback.hidden = true;

    var composeId = randomId();
    var timer = null;
    var inflight = null;
    var lastQuery = "";
    var shownAny = false;

    function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }

    function render(results) {
      list.textContent = "";
      results.forEach(function (result) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = result.url;
        link.textContent = result.title;
        if (result.has_verified_answer || result.state === "solved") {
          var badge = document.createElement("span");
          badge.className = "badge badge-solved";
          badge.textContent = result.has_verified_answer ? "Verified answer" : "Solved";
          link.appendChild(document.createTextNode(" "));
          link.appendChild(badge);
        }
        item.appendChild(link);
        list.appendChild(item);
      });
      list.hidden = results.length === 0;
      if (results.length) shownAny = true;
      status.textContent = results.length
        ? results.length + (results.length === 1 ? " similar question" : " similar questions") +
          " found. Press the down arrow in the title field to browse them."
        : "";
    }

    function lookup() {
      var title = titleField.value.trim();
      var body = bodyField ? bodyField.value.trim().slice(0, 600) : "";
      var query = title + "\n" + body;
      if (title.length < MIN_TITLE) { render([]); lastQuery = ""; return; }
      if (query === lastQuery) return;
      lastQuery = query;
      if (inflight) inflight.abort();
      inflight = new AbortController();
      var url = box.dataset.endpoint + "?" + new URLSearchParams({ title: title, body: body, cid: composeId });
      fetch(url, { headers: { Accept: "application/json" }, signal: inflight.signal, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { render(data.results || []); })
        .catch(function (error) { if (error.name !== "AbortError") render([]); });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY_MS);
    }

    titleField.addEventListener("input", schedule);
    if (bodyField) bodyField.addEventListener("change", schedule);

    titleField.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !list.hidden && links().length) {
        event.preventDefault();
        links()[0].focus();
      }
    });

    list.addEventListener("keydown", function (event) {
      var all = links();
      var index = all.indexOf(document.activeElement);
      if (index < 0) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        all[Math.min(index + 1, all.length - 1)].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (index === 0) titleField.focus(); else all[index - 1].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        titleField.focus();
      }
    });

    var form = titleField.form;
    if (form) {
      form.addEventListener("submit", function () {
        if (!shownAny || !navigator.sendBeacon) return;
        var data = new FormData();
        data.append("kind", "posted");
        data.append("cid", composeId);
        data.append("csrf_token", box.dataset.csrf);
        navigator.sendBeacon(box.dataset.deflection, data);
      });
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-similar]"), setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
