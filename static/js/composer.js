// The composer: a Markdown toolbar (Ctrl/Cmd+B, I, K), live server preview beside the text on wide
// screens and behind a Write/Preview tab pair on narrow ones, Ctrl/Cmd+Enter to post, and quoting
// (a whole post, or the selected part of one) at the reply box's caret.
// Without JavaScript the forms still work: the Preview button and ?quote=<id> links do it server-side.
// composer_autocomplete.js and composer_drafts.js build on window.ParleyComposer below.
(function () {
  "use strict";

  var PREVIEW_DELAY_MS = 400;
  var ids = 0;

  function csrfToken(form) {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function uid(prefix) { ids += 1; return prefix + "-" + ids; }

  // Replace the textarea's text from `start` to `end` with `text` (the browser's own insertText
  // where it has one, so Ctrl+Z undoes it), then select [selectFrom, selectTo) of the new text.
  function replaceRange(textarea, start, end, text, selectFrom, selectTo) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (ignored) { done = false; }
    if (!done || textarea.value.slice(start, start + text.length) !== text) {
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var from = start + (selectFrom === undefined ? text.length : selectFrom);
    var to = start + (selectTo === undefined ? (selectFrom === undefined ? text.length : selectFrom) : selectTo);
    textarea.setSelectionRange(from, to);
  }

  // A block (quote, attachment) at the caret, on lines of its own.
  function insertBlock(textarea, markdown) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    var before = value.slice(0, start), after = value.slice(end);
    var lead = !before ? "" : (/\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n"));
    var trailing = /\n*$/.exec(markdown)[0].length;  // a blank line after the block, not two
    var tail = !after || /^\n/.test(after) || trailing >= 2 ? "" : (trailing === 1 ? "\n" : "\n\n");
    replaceRange(textarea, start, end, lead + markdown + tail);
  }

  // --- the toolbar ---------------------------------------------------------------------------

  function wrapSelection(textarea, left, right, placeholder) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var chosen = textarea.value.slice(start, end);
    if (chosen && chosen.slice(0, left.length) === left && chosen.slice(-right.length) === right && chosen.length >= left.length + right.length) {
      var inner = chosen.slice(left.length, chosen.length - right.length);  // pressed again: unwrap
      replaceRange(textarea, start, end, inner, 0, inner.length);
      return;
    }
    var text = chosen || placeholder;
    replaceRange(textarea, start, end, left + text + right, left.length, left.length + text.length);
  }

  function code(textarea) {
    var chosen = textarea.value.slice(textarea.selectionStart, textarea.selectionEnd);
    if (chosen.indexOf("\n") >= 0) {
      insertBlock(textarea, "```\n" + chosen.replace(/\n$/, "") + "\n```\n");
    } else {
      wrapSelection(textarea, "`", "`", "code");
    }
  }

  function link(textarea) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var chosen = textarea.value.slice(start, end);
    if (/^https?:\/\/\S+$/.test(chosen)) {
      replaceRange(textarea, start, end, "[link text](" + chosen + ")", 1, 10);
      return;
    }
    var text = chosen || "link text";
    var markdown = "[" + text + "](https://)";
    replaceRange(textarea, start, end, markdown, text.length + 3, markdown.length - 1);
  }

  // Prefix every line the selection touches ("> ", "- ", "1. "...).
  function prefixLines(textarea, prefixFor) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var end = textarea.selectionEnd;
    var lineEnd = value.indexOf("\n", end);
    end = lineEnd < 0 ? value.length : lineEnd;
    var lines = value.slice(start, end).split("\n");
    var text = lines.map(function (line, index) { return prefixFor(index) + line; }).join("\n");
    if (!value.slice(start, end)) { text = prefixFor(0); }
    replaceRange(textarea, start, end, text, text.length, text.length);
  }

  var TOOLS = [
    { name: "bold", label: "Bold", text: "B", key: "b", run: function (t) { wrapSelection(t, "**", "**", "bold text"); } },
    { name: "italic", label: "Italic", text: "I", key: "i", run: function (t) { wrapSelection(t, "_", "_", "italic text"); } },
    { name: "code", label: "Code", text: "</>", key: "e", run: code },
    { name: "link", label: "Link", text: "Link", key: "k", run: link },
    { name: "quote", label: "Quote", text: "\u201c\u201d", run: function (t) { prefixLines(t, function () { return "> "; }); } },
    { name: "bullets", label: "Bulleted list", text: "\u2022 List", run: function (t) { prefixLines(t, function () { return "- "; }); } },
    { name: "numbers", label: "Numbered list", text: "1. List", run: function (t) { prefixLines(t, function (i) { return (i + 1) + ". "; }); } },
    // The composer's one attach control: it opens attachments.js's file picker (the same upload,
    // progress and errors as a drop or a paste); attachments.js adds no button of its own.
    { name: "attach", label: "Attach an image or file", text: "Attach", run: function (t, form) {
      var input = form.querySelector("[data-attach-input]");
      if (input) { input.click(); }
    } }
  ];

  var MAC = /Mac|iPhone|iPad/.test(navigator.platform || "");

  function buildToolbar(form, textarea) {
    var bar = document.createElement("div");
    bar.className = "composer-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Formatting");
    bar.setAttribute("aria-controls", textarea.id);
    var buttons = TOOLS.map(function (tool, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "composer-tool composer-tool-" + tool.name;
      button.textContent = tool.text;
      button.setAttribute("aria-label", tool.label);
      button.setAttribute("data-tool", tool.name);
      button.tabIndex = index === 0 ? 0 : -1;
      if (tool.key) {
        button.title = tool.label + " (" + (MAC ? "\u2318" : "Ctrl+") + tool.key.toUpperCase() + ")";
        button.setAttribute("aria-keyshortcuts", (MAC ? "Meta+" : "Control+") + tool.key.toUpperCase());
      } else {
        button.title = tool.label;
      }
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the selection
      button.addEventListener("click", function () { tool.run(textarea, form); });
      bar.appendChild(button);
      return button;
    });
    // One tab stop for the whole toolbar; arrows, Home and End move along it (roving tabindex).
    bar.addEventListener("keydown", function (event) {
      var at = buttons.indexOf(document.activeElement);
      if (at < 0) { return; }
      var to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (to === undefined) { return; }
      event.preventDefault();
      to = (to + buttons.length) % buttons.length;
      buttons[at].tabIndex = -1;
      buttons[to].tabIndex = 0;
      buttons[to].focus();
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
      if (event.key === "Enter") {  // post
        var submit = form.querySelector('button[type="submit"]:not([name="preview"])');
        if (submit) {
          event.preventDefault();
          if (form.requestSubmit) { form.requestSubmit(submit); } else { submit.click(); }
        }
        return;
      }
      var key = event.key.toLowerCase();
      for (var i = 0; i < TOOLS.length; i += 1) {
        if (TOOLS[i].key === key && !event.shiftKey) {
          event.preventDefault();
          TOOLS[i].run(textarea, form);
          return;
        }
      }
    });
    textarea.insertAdjacentElement("beforebegin", bar);
    return bar;
  }

  // --- preview: beside the text (wide), or a Write/Preview tab pair (narrow) ------------------

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

  function buildTabs(form, textarea, wrap, output) {
    var field = textarea.closest(".field") || textarea.parentElement;
    field.classList.add("composer-write");
    field.id = field.id || uid("composer-write");
    wrap.id = wrap.id || uid("composer-preview");
    var layout = document.createElement("div");
    layout.className = "composer-layout";
    form.insertAdjacentElement("beforebegin", layout);
    layout.append(form, wrap);

    var tabs = document.createElement("div");
    tabs.className = "composer-tabs";
    tabs.setAttribute("role", "tablist");
    tabs.setAttribute("aria-label", "Write or preview");
    var pair = [["Write", field], ["Preview", wrap]].map(function (entry) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.id = uid("composer-tab");
      tab.textContent = entry[0];
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", entry[1].id);
      entry[1].setAttribute("role", "tabpanel");
      entry[1].setAttribute("aria-labelledby", tab.id);
      tabs.appendChild(tab);
      return tab;
    });
    function choose(index, focus) {
      pair.forEach(function (tab, i) {
        tab.setAttribute("aria-selected", String(i === index));
        tab.tabIndex = i === index ? 0 : -1;
      });
      layout.classList.toggle("showing-preview", index === 1);
      if (index === 1) { requestPreview(form, textarea, output); }
      if (focus) { pair[index].focus(); }
    }
    pair.forEach(function (tab, index) { tab.addEventListener("click", function () { choose(index, false); }); });
    tabs.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        choose(pair[0].getAttribute("aria-selected") === "true" ? 1 : 0, true);
      }
    });
    choose(0, false);
    field.insertAdjacentElement("beforebegin", tabs);
  }

  function wirePreview(form, textarea) {
    var output = previewOutputFor(form);
    if (!output) { return; }
    var timer = null;
    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { requestPreview(form, textarea, output); }, PREVIEW_DELAY_MS);
    });
    buildTabs(form, textarea, form.nextElementSibling, output);
  }

  // --- quoting ---------------------------------------------------------------------------------

  function replyBox() { return document.querySelector("#reply textarea[data-markdown-input]"); }

  // Where the reply box's caret was when it lost focus: selecting words in a post moves the
  // document's selection, and the quote goes where the writer left off.
  var lastCaret = null;

  function rememberCaret(textarea) {
    function record() { lastCaret = { start: textarea.selectionStart, end: textarea.selectionEnd, value: textarea.value }; }
    ["input", "keyup", "mouseup", "select"].forEach(function (name) { textarea.addEventListener(name, record); });
    document.addEventListener("selectionchange", function () {
      if (document.activeElement !== textarea) { return; }
      var selection = window.getSelection(), node = selection && selection.anchorNode;
      var element = node && (node.nodeType === 1 ? node : node.parentElement);
      if (element && element.closest(".post-body")) { return; }  // words chosen in a post: keep the caret
      record();
    });
  }

  function quoteInto(textarea, markdown) {
    textarea.focus();
    if (lastCaret && lastCaret.value === textarea.value) { textarea.setSelectionRange(lastCaret.start, lastCaret.end); }
    insertBlock(textarea, markdown);
    textarea.scrollIntoView({ block: "center" });
  }

  function wireQuoteLinks() {
    var box = replyBox();
    if (!box) { return; }
    rememberCaret(box);
    document.querySelectorAll("a.quote-link[data-quote-url]").forEach(function (anchor) {
      anchor.addEventListener("click", function (event) {
        event.preventDefault();
        fetch(anchor.getAttribute("data-quote-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (response) { return response.json(); })
          .then(function (data) { if (typeof data.markdown === "string") { quoteInto(box, data.markdown); } })
          .catch(function () { window.location.href = anchor.href; });
      });
    });
  }

  // Select words in a post: a "Quote" button appears by them and quotes just those words, naming
  // and linking the post. The Quote action on each post stays the keyboard way to do it.
  function wireSelectionQuote() {
    var box = replyBox();
    if (!box) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button-small selection-quote";
    button.textContent = "Quote";
    button.hidden = true;
    document.body.appendChild(button);
    var pending = null;

    function selected() {
      var selection = window.getSelection();
      if (!selection || selection.isCollapsed || !selection.rangeCount) { return null; }
      var range = selection.getRangeAt(0);
      var node = range.commonAncestorContainer;
      var element = node.nodeType === 1 ? node : node.parentElement;
      var body = element && element.closest(".post-body");
      var post = body && body.closest("article.post");
      var text = selection.toString().trim();
      if (!post || !text) { return null; }
      var permalink = post.querySelector('.post-header a[href^="/p/"]');
      var author = post.querySelector(".post-header .post-author");
      if (!permalink || !author) { return null; }
      var username = decodeURIComponent(author.getAttribute("href").split("/u/")[1] || "");
      return { text: text, url: permalink.getAttribute("href"), username: username, rect: range.getBoundingClientRect() };
    }

    function place() {
      pending = selected();
      if (!pending) { button.hidden = true; return; }
      button.hidden = false;
      button.style.top = (window.scrollY + pending.rect.bottom + 6) + "px";
      button.style.left = Math.max(8, Math.min(window.scrollX + pending.rect.left, window.scrollX + document.documentElement.clientWidth - button.offsetWidth - 8)) + "px";
    }

    document.addEventListener("selectionchange", function () { window.setTimeout(place, 0); });
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the selection
    button.addEventListener("click", function () {
      if (!pending) { return; }
      var quoted = pending.text.split("\n").map(function (line) { return line.trim() ? "> " + line : ">"; }).join("\n");
      quoteInto(box, "> [quote from @" + pending.username + "](" + pending.url + ")\n>\n" + quoted + "\n\n");
      window.getSelection().removeAllRanges();
      button.hidden = true;
    });
  }

  // Leaving a composer with unsent changes asks first, where nothing else keeps them: the edit
  // form of a deleted post (composer_drafts.js keeps replies, new threads and other edits on the
  // server, and asks only when it can't).
  function guardUnsaved(form, textarea) {
    if (form.hasAttribute("data-draft-scope")) { return; }
    var initial = textarea.value, sending = false;
    form.addEventListener("submit", function () { sending = true; });
    window.addEventListener("beforeunload", function (event) {
      if (!sending && textarea.value !== initial) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  window.ParleyComposer = { csrfToken: csrfToken, replaceRange: replaceRange, insertBlock: insertBlock, uid: uid };

  document.querySelectorAll("form[data-composer]").forEach(function (form) {
    var textarea = form.querySelector("textarea[data-markdown-input]");
    if (!textarea) { return; }
    buildToolbar(form, textarea);
    wirePreview(form, textarea);
    guardUnsaved(form, textarea);
  });
  wireQuoteLinks();
  wireSelectionQuote();
})();
