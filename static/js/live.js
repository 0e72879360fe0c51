// Live updates (community/live): a thread's new replies, edits, answer marks and "same problem"
// count; the bell's count and its dropdown; new items on the staff pages.
// Events carry ids only. Everything shown is re-read through the normal pages and JSON as this
// reader, so an event can never show what they may not see. Server-sent events first; polling when
// EventSource is missing, the stream is refused twice, or window.parleyLivePoll is true.
// Without JavaScript: the bell is a link to the notifications page, pages show what was there.
(function () {
  "use strict";
  var script = document.currentScript;
  var config = script ? script.dataset : {};
  var JSON_HEADERS = { Accept: "application/json" };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: JSON_HEADERS }).then(function (response) {
      if (!response.ok) { var error = new Error("HTTP " + response.status); error.status = response.status; throw error; }
      return response.json();
    });
  }

  function getPage(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (response) {
      if (!response.ok) return null;
      return response.text().then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
    });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // --- the connection: token, then a stream or polls, Last-Event-ID kept across both --------------

  function Connection(params, onEvent) {
    this.params = params;
    this.onEvent = onEvent;
    this.lastId = null;
    this.failures = 0;
    this.polling = !window.EventSource || window.parleyLivePoll === true;
    window.parleyLive = this;  // for tests: mode and lastId
  }

  Connection.prototype.begin = function () {
    var self = this;
    getJSON(config.tokenUrl + "?" + this.params.toString()).then(function (subscription) {
      self.subscription = subscription;
      if (self.lastId === null) self.lastId = subscription.last_id;
      if (self.polling) self.poll(); else self.stream();
    }).catch(function (error) {
      if (error && (error.status === 404 || error.status === 403 || error.status === 422)) return;  // nothing to follow
      self.later(function () { self.begin(); });
    });
  };

  Connection.prototype.later = function (run) {
    this.failures += 1;
    setTimeout(run, Math.min(60000, 1000 * Math.pow(2, this.failures)));
  };

  Connection.prototype.deliver = function (event) {
    if (event.id) this.lastId = event.id;
    try { this.onEvent(event); } catch (error) { /* one bad handler never stops the stream */ }
  };

  Connection.prototype.stream = function () {
    var self = this;
    this.mode = "stream";
    var url = this.subscription.stream_url + "?token=" + encodeURIComponent(this.subscription.token) +
      "&last_event_id=" + encodeURIComponent(this.lastId);
    var source = new EventSource(url);
    this.source = source;
    source.onopen = function () { self.failures = 0; };
    source.onmessage = function (message) {
      self.deliver(JSON.parse(message.data));
    };
    source.onerror = function () {
      // CONNECTING: the browser reconnects by itself, sending Last-Event-ID. CLOSED: refused
      // (an expired token, or no stream here): a new token, and after two refusals, polls.
      if (source.readyState !== EventSource.CLOSED) return;
      source.close();
      if (self.failures >= 1) self.polling = true;
      self.later(function () { self.begin(); });
    };
  };

  Connection.prototype.poll = function () {
    var self = this;
    this.mode = "poll";
    var seconds = this.subscription.poll_seconds || 10;
    var url = this.subscription.poll_url + "?token=" + encodeURIComponent(this.subscription.token) +
      "&after=" + encodeURIComponent(this.lastId);
    getJSON(url).then(function (data) {
      self.failures = 0;
      data.events.forEach(function (event) { self.deliver(event); });
      if (data.reset) self.deliver({ kind: "reset", id: data.last_id });
      self.lastId = data.last_id;
      setTimeout(function () { self.poll(); }, seconds * 1000);
    }).catch(function (error) {
      if (error && error.status === 403) { self.later(function () { self.begin(); }); return; }
      self.later(function () { self.poll(); });  // 429 and outages: back off
    });
  };

  // --- the bell: live count and the dropdown ---------------------------------------------------------

  function Bell(link) {
    this.link = link;
    this.wrap = link.parentElement;
    var panel = document.createElement("div");
    panel.className = "bell-panel";
    panel.id = "bell-panel";
    panel.hidden = true;
    function make(tag, className, text) {
      var element = document.createElement(tag);
      if (className) element.className = className;
      if (text) element.textContent = text;
      return element;
    }
    var title = make("p", "bell-panel-title", "Notifications");
    title.id = "bell-panel-title";
    var list = make("ul", "bell-list");
    list.setAttribute("aria-labelledby", "bell-panel-title");
    var empty = make("p", "bell-empty muted", "Nothing new yet.");
    empty.hidden = true;
    var actions = make("div", "bell-actions");
    var readAll = make("button", "link-button", "Mark all read");
    readAll.type = "button";
    readAll.setAttribute("data-bell-read-all", "");
    var all = make("a", "", "All notifications");
    all.href = link.getAttribute("href");
    actions.appendChild(readAll);
    actions.appendChild(all);
    [title, list, empty, actions].forEach(function (part) { panel.appendChild(part); });
    // After the bell's <span>, inside the header row: a block can't sit in a span.
    this.wrap.parentNode.insertBefore(panel, this.wrap.nextSibling);
    this.panel = panel;
    link.setAttribute("role", "button");
    link.setAttribute("aria-expanded", "false");
    link.setAttribute("aria-controls", "bell-panel");
    var self = this;
    link.addEventListener("click", function (event) { event.preventDefault(); self.toggle(); });
    link.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); self.toggle(); }
    });
    panel.querySelector("[data-bell-read-all]").addEventListener("click", function () { self.readAll(); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && self.isOpen()) { self.close(); link.focus(); }
    });
    document.addEventListener("click", function (event) {
      if (self.isOpen() && !self.wrap.contains(event.target) && !panel.contains(event.target)) self.close();
    });
    function leaving(event) {
      var to = event.relatedTarget;
      if (self.isOpen() && to && !self.wrap.contains(to) && !panel.contains(to)) self.close();
    }
    this.wrap.addEventListener("focusout", leaving);
    panel.addEventListener("focusout", leaving);
  }

  Bell.prototype.isOpen = function () { return !this.panel.hidden; };

  Bell.prototype.toggle = function () { if (this.isOpen()) this.close(); else this.open(); };

  Bell.prototype.open = function () {
    var self = this;
    this.panel.hidden = false;
    this.link.setAttribute("aria-expanded", "true");
    this.panel.setAttribute("aria-busy", "true");
    this.refresh().then(function () { self.panel.removeAttribute("aria-busy"); });
  };

  Bell.prototype.close = function () {
    this.panel.hidden = true;
    this.link.setAttribute("aria-expanded", "false");
  };

  Bell.prototype.setCount = function (unread) {
    var count = this.link.querySelector("[data-unread-count]");
    var shown = unread < 100 ? String(unread) : "99+";  // as templates/base.html shows it
    if (unread > 0 && !count) {
      count = document.createElement("span");
      count.className = "unread-count";
      count.setAttribute("data-unread-count", "");
      this.link.appendChild(count);
    }
    if (unread > 0) count.textContent = shown;
    if (unread === 0 && count) count.remove();
    this.link.classList.toggle("has-unread", unread > 0);
    this.link.setAttribute("aria-label", unread > 0 ? "Notifications: " + shown + " unread" : "Notifications");
  };

  Bell.prototype.refresh = function () {
    var self = this;
    return getJSON(this.link.getAttribute("href")).then(function (data) {
      self.setCount(data.unread);
      if (self.isOpen()) self.render(data.notifications.slice(0, 8));
    }).catch(function () {});
  };

  Bell.prototype.render = function (items) {
    var list = this.panel.querySelector(".bell-list");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "bell-item" + (item.unread ? " bell-unread" : "");
      var target = document.createElement(item.url ? "a" : "span");
      if (item.url) target.href = item.url;
      target.textContent = item.summary;
      if (item.unread) {
        var flag = document.createElement("span");
        flag.className = "visually-hidden";
        flag.textContent = "Unread: ";
        target.insertBefore(flag, target.firstChild);
      }
      li.appendChild(target);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    this.panel.querySelector(".bell-empty").hidden = items.length > 0;
  };

  Bell.prototype.readAll = function () {
    var self = this;
    var body = new FormData();
    body.append("csrf_token", csrfToken());
    fetch(config.readAllUrl, { method: "POST", body: body, credentials: "same-origin", headers: JSON_HEADERS })
      .then(function (response) { if (!response.ok) throw new Error("mark all read failed"); return self.refresh(); })
      .catch(function () { window.location.href = self.link.getAttribute("href"); });
  };

  // --- a bar that says what is new, polite, fixed so nothing the reader reads moves ------------------

  function Bar(element) {
    this.element = element;
  }

  Bar.prototype.show = function (text, label, onShow) {
    var self = this;
    this.element.textContent = "";
    var message = document.createElement("span");
    message.textContent = text + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button-small";
    button.textContent = label;
    button.addEventListener("click", function () { self.clear(); onShow(); });
    this.element.appendChild(message);
    this.element.appendChild(button);
    this.element.classList.add("is-shown");
  };

  Bar.prototype.clear = function () {
    this.element.textContent = "";
    this.element.classList.remove("is-shown");
  };

  // --- the thread page -------------------------------------------------------------------------------

  function ThreadPage(element) {
    this.bar = new Bar(element);
    this.onLastPage = element.dataset.liveLastPage === "true";
    this.postUrl = element.dataset.livePostUrl;  // "/p/" + id
    this.pending = [];  // articles fetched, not shown yet
    this.pendingIds = {};
  }

  ThreadPage.prototype.handle = function (event) {
    if (event.kind === "reply") return this.reply(event.post);
    if (event.kind === "edit") return this.edit(event.post);
    if (event.kind === "same") return this.refreshParts(["[data-same-problem-summary]"]);
    if (event.kind === "answer" || event.kind === "changed" || event.kind === "reset") {
      return this.refreshParts([".thread-header", "[data-answers]", "#solution", "article.post"]);
    }
  };

  ThreadPage.prototype.fetchPost = function (postId) {
    return getPage(this.postUrl + postId).then(function (doc) {
      return doc ? doc.getElementById("post-" + postId) : null;
    });
  };

  ThreadPage.prototype.reply = function (postId) {
    var self = this;
    if (document.getElementById("post-" + postId) || this.pendingIds[postId]) return;
    this.pendingIds[postId] = true;
    this.fetchPost(postId).then(function (article) {
      if (!article || document.getElementById("post-" + postId)) return;  // not readable (held, private): not counted
      self.pending.push(article);
      var n = self.pending.length;
      self.bar.show(n + (n === 1 ? " new reply" : " new replies"), "Show", function () { self.showNew(); });
    });
  };

  ThreadPage.prototype.showNew = function () {
    var articles = this.pending;
    this.pending = [];
    if (!articles.length) return;
    if (!this.onLastPage) { window.location.href = this.postUrl + articles[0].id.replace("post-", ""); return; }
    var posts = document.querySelectorAll("article.post");
    var after = posts[posts.length - 1];
    articles.forEach(function (article) {
      var adopted = document.importNode(article, true);
      adopted.classList.add("post-new");
      after.parentNode.insertBefore(adopted, after.nextSibling);
      after = adopted;
    });
    var first = document.getElementById(articles[0].id);
    first.setAttribute("tabindex", "-1");
    first.focus();
    this.refreshParts([".thread-header"]);
  };

  function replaceable(element) {
    return element && !element.contains(document.activeElement);  // never pull what the reader is using
  }

  ThreadPage.prototype.edit = function (postId) {
    var current = document.getElementById("post-" + postId);
    if (!current) return;
    this.fetchPost(postId).then(function (article) {
      if (article && replaceable(current) && current.isConnected) current.replaceWith(document.importNode(article, true));
    });
  };

  ThreadPage.prototype.refreshParts = function (selectors) {
    return getPage(window.location.href).then(function (doc) {
      if (!doc) return;
      selectors.forEach(function (selector) {
        if (selector === "article.post") {
          document.querySelectorAll("article.post").forEach(function (current) {
            var fresh = doc.getElementById(current.id);
            if (fresh && replaceable(current) && fresh.outerHTML !== current.outerHTML) current.replaceWith(document.importNode(fresh, true));
          });
          return;
        }
        var current = document.querySelector(selector);
        var fresh = doc.querySelector(selector);
        if (current && fresh && replaceable(current) && fresh.outerHTML !== current.outerHTML) current.replaceWith(document.importNode(fresh, true));
        else if (!current && fresh && selector === "#solution") {
          var panel = document.querySelector("article.post");
          if (panel) panel.parentNode.insertBefore(document.importNode(fresh, true), panel.nextSibling);
        } else if (current && !fresh && selector === "#solution") current.remove();
      });
    });
  };

  // --- staff pages: "N new, show" ------------------------------------------------------------------

  function StaffPage(element) {
    this.bar = new Bar(element);
    this.count = 0;
  }

  StaffPage.prototype.handle = function (event) {
    if (event.kind !== "new" && event.kind !== "reset") return;
    this.count += 1;
    this.bar.show(this.count === 1 && event.kind === "new" ? "1 new item" : this.count + " new items", "Show", function () {
      window.location.reload();
    });
  };

  // --- wiring ----------------------------------------------------------------------------------------

  function start() {
    var link = document.querySelector(".notification-bell");
    var bell = link ? new Bell(link) : null;
    var threadElement = document.querySelector("[data-live-thread]");
    var staffElement = document.querySelector("[data-live-staff]");
    var thread = threadElement ? new ThreadPage(threadElement) : null;
    var staff = staffElement ? new StaffPage(staffElement) : null;
    if (!bell && !thread && !staff) return;
    var params = new URLSearchParams();
    if (thread) params.set("thread", threadElement.dataset.liveThread);
    if (staff) params.set("staff", staffElement.dataset.liveStaff);
    new Connection(params, function (event) {
      var channel = event.channel || "";
      if (channel.indexOf("user:") === 0 && bell) bell.refresh();
      else if (channel.indexOf("thread:") === 0 && thread) thread.handle(event);
      else if (channel.indexOf("staff:") === 0 && staff) staff.handle(event);
      else if (event.kind === "reset") {
        if (bell) bell.refresh();
        if (thread) thread.handle(event);
        if (staff) staff.handle(event);
      }
    }).begin();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
