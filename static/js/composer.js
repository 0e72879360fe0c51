// Composer helpers: live Markdown preview (debounced, via POST /preview) and "Quote" buttons.
// Without JavaScript the forms still work: the Preview button and ?quote=<id> links do it server-side.
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;

  function csrfToken(form) {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function previewOutputFor(form) {
    var wrap = form.nextElementSibling;
    return wrap ? wrap.querySelector("[data-preview-output]") : null;
  }

  function requestPreview(form, textarea, output) {
    fetch("/preview", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form), "Accept": "application/json" },
      body: JSON.stringify({ body: textarea.value })
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        // The server returns sanitized HTML (content/sanitize.py); nothing else is inserted.
        if (typeof data.html === "string") {
          output.innerHTML = data.html || '<p class="muted">Nothing to preview yet.</p>';
        } else if (data.error) {
          output.textContent = data.error.message;
        }
      })
      .catch(function () { /* keep the last preview; posting still works */ });
  }

  function wirePreview(form) {
    var textarea = form.querySelector("textarea[data-markdown-input]");
    var output = previewOutputFor(form);
    if (!textarea || !output) { return; }
    var timer = null;
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { requestPreview(form, textarea, output); }, PREVIEW_DELAY_MS);
    });
  }

  function insertQuote(textarea, markdown) {
    var before = textarea.value;
    var separator = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    textarea.value = before + separator + markdown;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    textarea.dispatchEvent(new Event("input"));
  }

  function wireQuotes() {
    var replyBox = document.querySelector("#reply textarea[data-markdown-input]");
    if (!replyBox) { return; }
    document.querySelectorAll("a.quote-link[data-quote-url]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        fetch(link.getAttribute("data-quote-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            if (typeof data.markdown === "string") {
              insertQuote(replyBox, data.markdown);
              replyBox.scrollIntoView({ block: "center" });
            }
          })
          .catch(function () { window.location.href = link.href; });
      });
    });
  }

  document.querySelectorAll("form[data-composer]").forEach(wirePreview);
  wireQuotes();
})();
