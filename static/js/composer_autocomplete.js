// Suggestions while typing in a composer: "@" offers people (by username or display name, with
// their avatars: only those who may read what is being written), "#" offers categories and tags
// the writer may see. ARIA: the textarea keeps its textbox role and points at a listbox with
// aria-controls / aria-activedescendant; Up/Down choose, Enter or Tab insert, Escape closes.
// Picking someone inserts "@username", so the mention links whichever name was typed.
(function () {
  "use strict";

  var DELAY_MS = 150;
  var TOKEN = /(^|[\s(])([@#])([^\s@#()[\]]{0,40})$/;

  function wire(form) {
    var textarea = form.querySelector("textarea[data-markdown-input]");
    if (!textarea || !window.ParleyComposer) { return; }
    var composer = window.ParleyComposer;
    var field = textarea.closest(".field") || textarea.parentElement;
    field.classList.add("has-suggestions");
    var list = document.createElement("ul");
    list.id = composer.uid("composer-suggestions");
    list.className = "composer-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    textarea.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", live);
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", list.id);

    var items = [], active = -1, token = null, timer = null, asked = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      token = null;
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", String(i === index));
      });
      if (index >= 0) {
        textarea.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      var picked = items[index];
      if (!picked || !token) { return; }
      var start = token.start, end = textarea.selectionStart;
      close();
      composer.replaceRange(textarea, start, end, picked.markdown + " ");
    }

    function option(item, index) {
      var li = document.createElement("li");
      li.id = list.id + "-" + index;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.className = "composer-suggestion";
      if (item.avatar) {
        var img = document.createElement("img");
        img.src = item.avatar;
        img.alt = "";
        img.width = 24;
        img.height = 24;
        img.className = "avatar avatar-24";
        li.appendChild(img);
      }
      var name = document.createElement("span");
      name.className = "suggestion-name";
      name.textContent = item.display_name || (item.kind === "category" ? item.name : "#" + item.name);
      li.appendChild(name);
      var detail = document.createElement("span");
      detail.className = "suggestion-detail";
      detail.textContent = item.username ? "@" + item.username : (item.kind === "category" ? "category" : "tag");
      li.appendChild(detail);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the caret
      li.addEventListener("click", function () { choose(index); });
      return li;
    }

    // Just below the line being typed on: a hidden copy of the text up to the sigil, laid out
    // like the textarea, says where that line is.
    var COPIED = ["boxSizing", "width", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth",
      "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "fontFamily", "fontSize", "fontWeight", "fontStyle",
      "lineHeight", "letterSpacing", "tabSize", "textTransform", "wordSpacing"];

    function place() {
      var style = window.getComputedStyle(textarea);
      var mirror = document.createElement("div");
      COPIED.forEach(function (name) { mirror.style[name] = style[name]; });
      mirror.style.position = "absolute";
      mirror.style.visibility = "hidden";
      mirror.style.whiteSpace = "pre-wrap";
      mirror.style.overflowWrap = "break-word";
      mirror.style.top = "0";
      mirror.style.left = "-9999px";
      mirror.textContent = textarea.value.slice(0, token.start);
      var mark = document.createElement("span");
      mark.textContent = token.sigil;
      mirror.appendChild(mark);
      document.body.appendChild(mirror);
      var below = mark.offsetTop + mark.offsetHeight - textarea.scrollTop;
      var left = mark.offsetLeft;
      document.body.removeChild(mirror);
      below = Math.max(0, Math.min(below, textarea.clientHeight)) + 4;
      list.style.top = (textarea.offsetTop + below) + "px";
      list.style.left = Math.max(0, Math.min(textarea.offsetLeft + left, field.clientWidth - list.offsetWidth)) + "px";
    }

    function show(found) {
      items = found;
      list.textContent = "";
      if (!items.length) {
        close();
        live.textContent = "No suggestions.";
        return;
      }
      items.forEach(function (item, index) { list.appendChild(option(item, index)); });
      list.hidden = false;
      place();
      highlight(0);
      live.textContent = items.length + (items.length === 1 ? " suggestion" : " suggestions") + ": up and down to choose, Enter to insert.";
    }

    function context() {
      var params = "";
      if (form.dataset.mentionThread) { params += "&thread=" + encodeURIComponent(form.dataset.mentionThread); }
      var category = form.dataset.mentionCategory || (form.querySelector("select[name=category]") || {}).value;
      if (!form.dataset.mentionThread && category) { params += "&category=" + encodeURIComponent(category); }
      return params;
    }

    function ask() {
      var caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) { close(); return; }
      var match = TOKEN.exec(textarea.value.slice(Math.max(0, caret - 60), caret));
      if (!match || (match[2] === "#" && !match[3])) { close(); return; }
      token = { sigil: match[2], term: match[3], start: caret - match[2].length - match[3].length };
      var url = (token.sigil === "@" ? "/composer/mentions?q=" : "/composer/hashtags?q=") + encodeURIComponent(token.term)
        + (token.sigil === "@" ? context() : "");
      var mine = ++asked;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (mine === asked && token) { show(data.suggestions || []); } })
        .catch(function () { close(); });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || !items.length) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + items.length) % items.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && !event.ctrlKey && !event.metaKey && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });
    textarea.addEventListener("blur", function () { window.setTimeout(close, 150); });
    textarea.addEventListener("click", function () { if (!list.hidden) { ask(); } });
  }

  document.querySelectorAll("form[data-composer]").forEach(wire);
})();
