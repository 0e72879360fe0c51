/* Parley widgets loader: <script async src="https://community.example/embed.js" data-parley-widget="ID">.
 * No framework, no build step. Each widget renders into its own shadow root so the host page's CSS
 * and ours never meet. Community content only ever goes in as text (textContent), never as HTML.
 * Requests carry no cookies (credentials: "omit"); the community serves public content only. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function fill(template, name, value) {
    return String(template).split("{" + name + "}").join(String(value));
  }

  function Widget(base, id, host) {
    this.id = id;
    this.base = base;
    this.host = host;
    this.root = host.attachShadow({ mode: "open" });
    var sheet = el("link");
    sheet.rel = "stylesheet";
    sheet.href = this.base + "/static/css/widget.css";
    this.root.appendChild(sheet);
  }

  function fromScript(script) {
    var host = el("parley-widget");
    host.setAttribute("data-parley-id", script.getAttribute("data-parley-widget"));
    if (script.parentNode === document.head) document.body.appendChild(host);
    else script.parentNode.insertBefore(host, script.nextSibling);
    return new Widget(new URL(script.src, location.href).origin, script.getAttribute("data-parley-widget"), host);
  }

  Widget.prototype.url = function (path) {
    return this.base + path;
  };

  Widget.prototype.get = function (path) {
    return fetch(this.url(path), { credentials: "omit", mode: "cors" }).then(function (response) {
      if (!response.ok) throw new Error("parley widget: HTTP " + response.status);
      return response.json();
    });
  };

  Widget.prototype.report = function (kind) {
    if (this.searchSource) return;  // a preview on the widgets page is not an impression
    try {
      fetch(this.url("/embed/w/" + this.id + "/event"), {
        method: "POST", body: JSON.stringify({ kind: kind }), keepalive: true,
        credentials: "omit", mode: "cors", headers: { "Content-Type": "text/plain" }
      }).catch(function () {});
    } catch (ignored) { /* analytics must never break the widget */ }
  };

  Widget.prototype.start = function () {
    var self = this;
    this.get("/embed/w/" + this.id + ".json").then(function (data) {
      self.render(data);
      self.report("impression");
    }).catch(function () {
      // Unknown, disabled or not allowed on this site: render nothing at all.
      self.host.remove();
    });
  };

  Widget.prototype.render = function (data) {
    if (this.box) this.root.removeChild(this.box);
    this.data = data;
    this.labels = data.labels;
    var box = el("section", "pw pw-theme-" + data.theme);
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", data.labels[data.kind]);
    box.setAttribute("lang", data.lang);
    if (data.theme === "brand" || data.theme === "compact") {
      box.style.setProperty("--pw-primary", data.colors.primary);
      box.style.setProperty("--pw-accent", data.colors.accent);
    }
    box.appendChild(el("h2", "pw-title", data.labels[data.kind]));
    var body = { solved: this.list, latest: this.list, search: this.search, ask: this.ask, stats: this.stats }[data.kind];
    if (body) body.call(this, box, data);
    var more = el("p", "pw-more");
    more.appendChild(this.link(data.links.community, data.labels.visit));
    box.appendChild(more);
    this.box = box;
    this.root.appendChild(box);
  };

  Widget.prototype.link = function (path, text) {
    var self = this;
    var a = el("a", null, text);
    a.href = this.url(path);
    a.addEventListener("click", function () { self.report("click"); });
    return a;
  };

  Widget.prototype.items = function (items) {
    var list = el("ul", "pw-list");
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      var row = el("li", "pw-item");
      row.appendChild(this.link(item.url, item.title));
      if (item.excerpt) row.appendChild(el("p", "pw-excerpt", item.excerpt));
      var meta = el("p", "pw-meta");
      if (item.verified) meta.appendChild(el("span", "pw-badge", this.labels.verified));
      meta.appendChild(document.createTextNode(fill(item.replies === 1 ? this.labels.reply : this.labels.replies, "n", item.replies)));
      row.appendChild(meta);
      list.appendChild(row);
    }
    return list;
  };

  Widget.prototype.list = function (box, data) {
    box.appendChild(data.items.length ? this.items(data.items) : el("p", "pw-status", this.labels.empty));
  };

  Widget.prototype.form = function (box, inputId, label, name) {
    var form = el("form", "pw-form");
    var fieldLabel = el("label", null, label);
    fieldLabel.htmlFor = inputId;
    var input = el("input");
    input.id = inputId;
    input.name = name;
    input.maxLength = 200;
    input.autocomplete = "off";
    input.placeholder = this.labels.search_placeholder;
    form.appendChild(fieldLabel);
    form.appendChild(input);
    box.appendChild(form);
    return { form: form, input: input };
  };

  Widget.prototype.search = function (box, data) {
    var self = this;
    var parts = this.form(box, "pw-q", this.labels.search, "q");
    parts.input.type = "search";
    parts.form.setAttribute("role", "search");
    parts.form.action = this.url(data.links.search);
    parts.form.method = "get";
    var results = el("div", "pw-results");
    results.setAttribute("aria-live", "polite");
    box.appendChild(results);
    var timer = null;
    var latest = "";
    parts.input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.lookup(parts.input.value.trim(), results, latest = {}); }, 250);
    });
    parts.form.addEventListener("submit", function () { self.report("search"); });
    this.pending = function () { return latest; };
  };

  Widget.prototype.lookup = function (query, results, token) {
    var self = this;
    if (!query) { results.textContent = ""; return; }
    var source = this.searchSource || function (q) {
      return self.get("/embed/w/" + self.id + "/search?q=" + encodeURIComponent(q));
    };
    source(query.slice(0, 200)).then(function (found) {
      if (self.pending() !== token) return;  // a newer keystroke already asked again
      results.textContent = "";
      var total = found.items.length ? found.total : 0;
      var status = fill(total === 1 ? self.labels.result : self.labels.results, "n", total);
      results.appendChild(el("p", "pw-status", found.items.length ? status : self.labels.no_results));
      if (found.items.length) results.appendChild(self.items(found.items));
      var more = el("p", "pw-more");
      more.appendChild(self.link(found.more, self.labels.see_all));
      results.appendChild(more);
      self.report("search");
    }).catch(function () { results.textContent = ""; });
  };

  Widget.prototype.ask = function (box, data) {
    var self = this;
    box.appendChild(el("p", "pw-status", this.labels.ask_prompt));
    var parts = this.form(box, "pw-ask", this.labels.question_label, "title");
    parts.input.maxLength = 150;
    parts.form.action = this.url(data.links.ask);
    parts.form.method = "get";
    parts.form.target = "_blank";
    var button = el("button", null, this.labels.ask_button);
    button.type = "submit";
    parts.form.appendChild(button);
    parts.form.addEventListener("submit", function () { self.report("ask"); });
  };

  Widget.prototype.stats = function (box, data) {
    var s = data.stats || {};
    var text = fill(this.labels.answered, "pct", s.answered_pct || 0);
    if (s.median_first_response) text += "; " + fill(this.labels.median, "time", s.median_first_response);
    box.appendChild(el("p", "pw-stats", text));
  };

  function mountAll() {
    var scripts = document.querySelectorAll("script[data-parley-widget]");
    for (var i = 0; i < scripts.length; i++) {
      var script = scripts[i];
      if (script.hasAttribute("data-parley-mounted")) continue;
      script.setAttribute("data-parley-mounted", "");
      if (!/^[0-9]{1,9}$/.test(script.getAttribute("data-parley-widget") || "")) continue;
      if (!script.src || !script.parentNode || !document.body.attachShadow) continue;
      fromScript(script).start();
    }
  }

  // The widgets page loads this file with data-parley-preview to draw unsaved settings through the
  // very same rendering code; brand pages never get this global.
  var loader = document.currentScript;
  if (loader && loader.hasAttribute("data-parley-preview")) {
    window.ParleyPreview = function (host, data, searchSource) {
      var widget = host.parleyWidget || (host.parleyWidget = new Widget(location.origin, "", host));
      widget.searchSource = searchSource;
      widget.render(data);
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
