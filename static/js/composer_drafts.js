// Drafts: what is typed in a composer with data-draft-scope is saved to the server a second
// after typing stops (and at once when the tab is hidden or closed, with fetch keepalive), and
// comes back in the same composer on any device. Posting removes it on the server; "Discard
// draft" removes it by hand. The status line (role=status) says where the draft stands.
(function () {
  "use strict";

  var SAVE_DELAY_MS = 1000;
  var KEEPALIVE_MAX_BYTES = 60000;  // browsers cap a keepalive request's body at 64 KiB

  function wire(form) {
    var scope = form.getAttribute("data-draft-scope");
    var textarea = form.querySelector("textarea[data-markdown-input]");
    if (!scope || !textarea || !window.ParleyComposer) { return; }
    var title = form.querySelector('input[name="title"]');
    var token = window.ParleyComposer.csrfToken(form);

    var bar = document.createElement("div");
    bar.className = "draft-bar";
    var status = document.createElement("p");
    status.className = "draft-status hint";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button draft-discard";
    discard.textContent = "Discard draft";
    discard.hidden = true;
    bar.append(status, discard);
    var actions = form.querySelector(".form-actions");
    (actions || textarea).insertAdjacentElement(actions ? "beforebegin" : "afterend", bar);

    var timer = null, dirty = false, saving = false, again = false, posting = false, failed = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("field-error", Boolean(isError));
    }

    function payload() {
      return JSON.stringify({ scope: scope, body: textarea.value, title: title ? title.value : "" });
    }

    function headers() {
      return { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token };
    }

    function answered(response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var message = data.error && data.error.message;
          throw new Error(message || (response.status === 429 ? "Saving too often; the draft will be saved in a moment." : "The draft could not be saved (error " + response.status + "). Your text is still here."));
        }
        return data;
      });
    }

    function save() {
      window.clearTimeout(timer);
      if (posting || !dirty) { return; }
      if (saving) { again = true; return; }
      saving = true;
      dirty = false;
      say("Saving draft\u2026");
      fetch("/composer/draft", { method: "POST", credentials: "same-origin", headers: headers(), body: payload() })
        .then(answered)
        .then(function (data) {
          failed = false;
          discard.hidden = !data.draft;
          say(data.draft ? "Draft saved" : "");
        })
        .catch(function (error) {
          failed = true;
          dirty = true;
          say(error.message, true);
        })
        .then(function () {
          saving = false;
          if (again) { again = false; save(); }
        });
    }

    // The tab is being hidden or closed: send what is unsaved now, in a request that outlives the page.
    function flush() {
      if (posting || !dirty) { return; }
      window.clearTimeout(timer);
      var body = payload();
      dirty = false;
      fetch("/composer/draft", {
        method: "POST", credentials: "same-origin", headers: headers(), body: body,
        keepalive: new Blob([body]).size <= KEEPALIVE_MAX_BYTES
      }).catch(function () { dirty = true; });
    }

    function typed() {
      if (posting) { return; }
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, SAVE_DELAY_MS);
    }

    textarea.addEventListener("input", typed);
    if (title) { title.addEventListener("input", typed); }
    form.addEventListener("submit", function () {
      posting = true;  // the server removes the draft when the post is made
      window.clearTimeout(timer);
    });
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { flush(); } });
    window.addEventListener("pagehide", flush);
    window.addEventListener("beforeunload", function (event) {
      if (failed && dirty && !posting) {  // the server refused the draft: leaving would lose the text
        event.preventDefault();
        event.returnValue = "";
      }
    });

    discard.addEventListener("click", function () {
      window.clearTimeout(timer);
      dirty = false;
      fetch("/composer/draft/discard", { method: "POST", credentials: "same-origin", headers: headers(), body: JSON.stringify({ scope: scope }) })
        .then(answered)
        .then(function () {
          textarea.value = "";
          if (title) { title.value = ""; }
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
          window.clearTimeout(timer);
          dirty = false;
          failed = false;
          discard.hidden = true;
          say("Draft discarded");
          textarea.focus();
        })
        .catch(function (error) { say(error.message, true); });
    });

    // Restore: into an empty composer only (text the page already holds, such as a quote or a
    // refused post, wins; the next save keeps it instead).
    fetch("/composer/draft?scope=" + encodeURIComponent(scope), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(answered)
      .then(function (data) {
        var draft = data.draft;
        if (!draft) { return; }
        discard.hidden = false;
        var empty = !textarea.value.trim() && (!title || !title.value.trim());
        if (!empty || dirty) { say("A saved draft is replaced by what you type here."); return; }
        textarea.value = draft.body;
        if (title && draft.title) { title.value = draft.title; }
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
        window.clearTimeout(timer);
        dirty = false;
        say("Draft restored");
      })
      .catch(function () { /* no draft shown; typing still saves */ });
  }

  document.querySelectorAll("form[data-composer]").forEach(wire);
})();
