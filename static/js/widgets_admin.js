// Widgets page: copy the embed snippet; show only the options that apply to the chosen widget type.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      source.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(source.value).then(done, function () {});
      else if (document.execCommand("copy")) done();
    });
  });

  var form = document.querySelector("[data-widget-form]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  var sortField = form.querySelector("select[name=sort]").closest(".field");
  function showRelevant() {
    sortField.hidden = kind.value !== "solved";
  }
  kind.addEventListener("change", showRelevant);
  showRelevant();

  // Live preview: the form's current (unsaved) settings, drawn by embed.js's own renderer.
  var preview = document.querySelector("[data-widget-preview]");
  if (!preview || !window.ParleyPreview) return;
  var status = document.querySelector("[data-preview-status]");
  var timer = null;
  var generation = 0;

  function post(url, extra) {
    var body = new FormData(form);  // carries the csrf_token field
    if (preview.getAttribute("data-widget-id")) body.append("widget_id", preview.getAttribute("data-widget-id"));
    Object.keys(extra).forEach(function (key) { body.append(key, extra[key]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw data;
          return data;
        });
      });
  }

  function search(query) {
    return post(preview.getAttribute("data-search-url"), { q: query });
  }

  function refresh() {
    var mine = ++generation;
    post(preview.getAttribute("data-preview-url"), {}).then(function (data) {
      if (mine !== generation) return;  // a newer change already asked again
      status.textContent = "";
      window.ParleyPreview(preview, data, search);
    }).catch(function (problem) {
      if (mine !== generation) return;
      status.textContent = (problem && problem.error && problem.error.message) || "The preview could not be drawn.";
    });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  refresh();
})();
