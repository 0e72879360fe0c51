// Iframe mode of the search widget: live results under the box as the visitor types.
// A static file because the frame's CSP allows no inline script; results go in as text only.
(function () {
  "use strict";

  var form = document.querySelector("[data-frame-search]");
  var results = document.querySelector("[data-frame-results]");
  if (!form || !results || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var timer = null;
  var latest = 0;

  function label(name) {
    return form.getAttribute("data-label-" + name) || "";
  }

  // "{n} reply" for exactly one, "{n} replies" otherwise (community/widgets/labels.py).
  function counted(n, one, many) {
    return label(n === 1 ? one : many).split("{n}").join(String(n));
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function item(found) {
    var row = el("li", "pw-item");
    var link = el("a", null, found.title);
    link.href = found.url;
    link.target = "_blank";
    link.rel = "noopener";
    row.appendChild(link);
    var meta = el("p", "pw-meta");
    if (found.verified) meta.appendChild(el("span", "pw-badge", label("verified")));
    meta.appendChild(document.createTextNode(counted(found.replies, "reply", "replies")));
    row.appendChild(meta);
    return row;
  }

  function show(found) {
    results.textContent = "";
    var text = found.items.length ? counted(found.total, "result", "results") : label("none");
    results.appendChild(el("p", "pw-status", text));
    if (!found.items.length) return;
    var list = el("ul", "pw-list");
    found.items.forEach(function (entry) { list.appendChild(item(entry)); });
    results.appendChild(list);
  }

  function lookup() {
    var query = input.value.trim().slice(0, 200);
    var mine = ++latest;
    if (!query) { results.textContent = ""; return; }
    fetch(form.getAttribute("data-frame-search") + "?q=" + encodeURIComponent(query), { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (found) { if (mine === latest) show(found); })
      .catch(function () { if (mine === latest) results.textContent = ""; });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookup, 250);
  });
})();
