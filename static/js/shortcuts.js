// Keyboard shortcuts: j/k next and previous post, r reply, ? the list ("/" search is header_search.js).
// Never while typing in a field, and never with Ctrl, Alt or Meta held (those belong to the browser).
(function () {
  "use strict";

  var SHORTCUTS = [
    ["/", "Search"],
    ["j", "Next post"],
    ["k", "Previous post"],
    ["r", "Reply to the thread"],
    ["?", "Show this list"],
  ];
  var dialog = null;

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
  }

  function posts() {
    return Array.prototype.slice.call(document.querySelectorAll("article.post[id^='post-']"));
  }

  // The post nearest the top of the viewport counts as the current one, so j/k follow scrolling.
  function currentIndex(list) {
    var index = -1;
    list.forEach(function (post, i) {
      if (post.getBoundingClientRect().top <= 80) index = i;
    });
    return index;
  }

  function go(step) {
    var list = posts();
    if (!list.length) return false;
    var next = Math.min(Math.max(currentIndex(list) + step, 0), list.length - 1);
    var post = list[next];
    post.setAttribute("tabindex", "-1");
    post.scrollIntoView({ block: "start" });
    post.focus({ preventScroll: true });
    return true;
  }

  function reply() {
    var field = document.querySelector("#reply textarea");
    if (!field) return false;
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  function help() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "shortcuts-dialog card";
      dialog.setAttribute("aria-labelledby", "shortcuts-heading");
      var heading = document.createElement("h2");
      heading.id = "shortcuts-heading";
      heading.textContent = "Keyboard shortcuts";
      var list = document.createElement("dl");
      SHORTCUTS.forEach(function (pair) {
        var key = document.createElement("dt");
        var kbd = document.createElement("kbd");
        kbd.textContent = pair[0];
        key.appendChild(kbd);
        var what = document.createElement("dd");
        what.textContent = pair[1];
        list.appendChild(key);
        list.appendChild(what);
      });
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button button-small";
      close.textContent = "Close";
      close.addEventListener("click", function () { dialog.close(); });
      dialog.appendChild(heading);
      dialog.appendChild(list);
      dialog.appendChild(close);
      document.body.appendChild(dialog);
    }
    if (!dialog.open) dialog.showModal();
    return true;
  }

  var ACTIONS = { j: function () { return go(1); }, k: function () { return go(-1); }, r: reply, "?": help };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    if (dialog && dialog.open) return;
    var action = ACTIONS[event.key];
    if (action && action()) event.preventDefault();
  });
})();
