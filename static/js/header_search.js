// The header's search field (templates/search/_header_search.html): results as you type from
// /search/quick, shown as an ARIA 1.2 combobox with a listbox popup (arrow keys move, Enter opens
// the highlighted result, Escape closes; the last option is "See all results for ..."), and "/"
// to focus the field from anywhere but another field. Text from the index goes in with
// textContent only. Without this script the field is a plain search form.
(function () {
  "use strict";

  var DELAY_MS = 180;
  var MIN_CHARS = 2;

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function setup(root) {
    var form = root.querySelector("form");
    var input = root.querySelector("input[role=combobox]");
    var list = root.querySelector("[role=listbox]");
    var status = root.querySelector("[data-header-search-status]");
    var hint = root.querySelector("[data-key-hint]");
    if (!form || !input || !list || !status) return;
    var url = input.getAttribute("data-quick-url");
    var timer = null;
    var inflight = null;
    var options = [];
    var active = -1;
    var lastQuery = null;

    if (hint) hint.hidden = false;  // CSS shows it only where there is a keyboard and a pointer
    input.setAttribute("aria-keyshortcuts", "/");

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!options.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      options.forEach(function (option, n) { option.element.setAttribute("aria-selected", n === index ? "true" : "false"); });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].element.id);
      options[index].element.scrollIntoView({ block: "nearest" });
    }

    function option(id, href) {
      var item = document.createElement("li");
      item.id = "header-search-option-" + id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.className = "header-search-option";
      item.addEventListener("mousedown", function (event) { event.preventDefault(); });
      item.addEventListener("click", function () { window.location.assign(href); });
      return item;
    }

    function span(className, text) {
      var element = document.createElement("span");
      element.className = className;
      element.textContent = text;
      return element;
    }

    function render(data) {
      list.textContent = "";
      options = [];
      (data.results || []).forEach(function (result, n) {
        var item = option(n, result.url);
        item.appendChild(span("header-search-title", result.title));
        var meta = span("header-search-meta", result.category);
        if (result.solved) {
          meta.appendChild(document.createTextNode(" "));
          meta.appendChild(span("badge badge-solved", result.solved === "verified" ? "Verified answer" : "Solved"));
        }
        if (result.attachments) {
          meta.appendChild(document.createTextNode(" "));
          meta.appendChild(span("badge badge-files", result.attachments + (result.attachments === 1 ? " file" : " files")));
        }
        item.appendChild(meta);
        list.appendChild(item);
        options.push({ element: item, href: result.url });
      });
      var shown = data.corrected || data.query;
      var all = option("all", data.all_url);
      all.classList.add("header-search-all");
      all.textContent = "See all results for \u201c" + shown + "\u201d";
      list.appendChild(all);
      options.push({ element: all, href: data.all_url });
      var count = options.length - 1;
      var said = count ? count + (count === 1 ? " result" : " results") + ". Use the up and down arrow keys to choose."
        : "No matching threads yet. Press Enter to search all.";
      status.textContent = (data.corrected ? "Showing results for " + data.corrected + ". " : "") + said;
      active = -1;
      open();
    }

    function lookup() {
      var query = input.value.trim();
      if (query.length < MIN_CHARS) {
        lastQuery = null;
        options = [];
        list.textContent = "";
        close();
        return;
      }
      if (query === lastQuery) {
        open();
        return;
      }
      if (inflight) inflight.abort();
      inflight = new AbortController();
      var asked = query;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: inflight.signal
      }).then(function (response) {
        if (!response.ok) throw new Error("search lookup failed: " + response.status);
        return response.json();
      }).then(function (data) {
        if (input.value.trim() !== asked) return;
        lastQuery = asked;
        render(data);
      }).catch(function (error) {
        if (error.name !== "AbortError") close();  // the form still submits to the full search
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY_MS);
    });

    input.addEventListener("focus", function () { if (input.value.trim() === lastQuery) open(); });

    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) return;
        event.preventDefault();
        if (!expanded) {
          open();
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active < 0 ? (step > 0 ? 0 : options.length - 1) : (active + step + options.length) % options.length;
        highlight(next);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        event.preventDefault();
        window.location.assign(options[active].href);
      } else if (event.key === "Escape" && expanded) {
        event.preventDefault();
        close();
      }
    });

    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) close();
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target) || isTyping(document.activeElement)) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  var root = document.querySelector("[data-header-search]");
  if (root) setup(root);
})();
