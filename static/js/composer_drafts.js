// Drafts: what is typed in a composer with data-draft-scope is saved to the server a second
// after typing stops (and at once when the tab is hidden or closed, with fetch keepalive), and
// comes back in the same composer on any device. Posting removes it on the server; "Discard
// draft" removes it by hand. The status line (role=status) says where the draft stands.
// An edit form (scope "post:<id>") holds the post as saved, so its draft replaces that text
// ("Restored your unsaved edit from <time>"), and discarding puts the saved text back.
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
    var editing = scope.indexOf("post:") === 0;
    // The text the page came with: for a fresh edit form, the post as saved.
    var saved = { body: textarea.defaultValue, title: title ? title.defaultValue : "" };
    var fresh = form.hasAttribute("data-draft-fresh");

    var bar = document.createElement("div");
    bar.className = "draft-bar";
    var status = document.createElement("p");
    status.className = "draft-status hint";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button draft-discard";
    discard.textContent = editing ? "Discard unsaved edit" : "Discard draft";
    discard.hidden = true;
    bar.append(status, discard);
    var actions = form.querySelector(".form-actions");
    (actions || textarea).insertAdjacentElement(actions ? "beforebegin" : "afterend", bar);

    var timer = null, dirty = false, saving = false, again = false, posting = false, failed = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("field-error", Boolean(isError));
    }

    // "<before><time>when</time><after>": the draft's time in the reader's own clock and words.
    function sayAt(before, iso, after) {
      var when = document.createElement("time"), date = new Date(iso);
      if (isNaN(date)) {
        when.textContent = iso;
      } else {
        when.dateTime = date.toISOString();  // milliseconds: the server's microseconds are not valid HTML
        when.textContent = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      }
      say("");
      status.append(before, when, after);
    }

    function put(body, titleText) {
      textarea.value = body;
      if (title) { title.value = titleText; }
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      window.clearTimeout(timer);
      dirty = false;
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
          failed = false;
          discard.hidden = true;
          textarea.focus();
          if (!editing) {
            put("", "");
            say("Draft discarded");
          } else if (fresh) {  // back to the post as saved
            put(saved.body, saved.title);
            say("Unsaved edit discarded; the post as saved is back in the box.");
          } else {  // a refused or previewed edit: its text is the writer's own, kept
            say("Unsaved edit discarded on the server; the text in the box is still here.");
          }
        })
        .catch(function (error) { say(error.message, true); });
    });

    // An edit's draft replaces the post's saved text, unless the form already holds the writer's
    // own (a refused or previewed edit) or they started typing before it came.
    function restoreEdit(draft) {
      var untouched = fresh && !dirty && textarea.value === saved.body && (!title || title.value === saved.title);
      if (!untouched) {
        sayAt("An unsaved edit from ", draft.updated_at, " is kept; what you type here replaces it.");
        return;
      }
      put(draft.body, title ? draft.title : "");
      sayAt("Restored your unsaved edit from ", draft.updated_at,
        draft.post_changed_since ? ". The post was changed since; check it before saving." : ".");
    }

    // Restore: into an empty composer only (text the page already holds, such as a quote or a
    // refused post, wins; the next save keeps it instead).
    fetch("/composer/draft?scope=" + encodeURIComponent(scope), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(answered)
      .then(function (data) {
        var draft = data.draft;
        if (!draft) { return; }
        discard.hidden = false;
        if (editing) { restoreEdit(draft); return; }
        var empty = !textarea.value.trim() && (!title || !title.value.trim());
        if (!empty || dirty) { say("A saved draft is replaced by what you type here."); return; }
        put(draft.body, (title && draft.title) || "");
        say("Draft restored");
      })
      .catch(function () { /* no draft shown; typing still saves */ });
  }

  document.querySelectorAll("form[data-composer]").forEach(wire);
})();
