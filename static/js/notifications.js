// Notifications list: opening a notification marks it read, and "Mark read" works in place.
// Without JavaScript the links still open and the forms post and redirect back to the list.
(function () {
  "use strict";

  function setBell(unread) {
    var bell = document.querySelector(".notification-bell");
    if (!bell) return;
    var count = bell.querySelector("[data-unread-count]");
    var shown = unread < 100 ? String(unread) : "99+";  // as templates/base.html shows it
    if (unread > 0 && count) count.textContent = shown;
    if (unread === 0 && count) count.remove();
    bell.classList.toggle("has-unread", unread > 0);
    bell.setAttribute("aria-label", unread > 0 ? "Notifications: " + shown + " unread" : "Notifications");
  }

  function markShown(item) {
    item.classList.remove("notification-unread");
    var badge = item.querySelector(".badge-unread");
    if (badge) badge.remove();
    var form = item.querySelector("form[data-mark-read]");
    if (form) form.remove();
  }

  function markRead(form, item) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      keepalive: true,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("mark read failed");
        return response.json();
      })
      .then(function (data) {
        markShown(item);
        setBell(data.unread);
      });
  }

  document.querySelectorAll("li[data-notification]").forEach(function (item) {
    var form = item.querySelector("form[data-mark-read]");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      markRead(form, item).catch(function () { form.submit(); });
    });
    var link = item.querySelector(".notification-link");
    if (link) {
      // keepalive lets the request finish while the browser follows the link.
      link.addEventListener("click", function () { markRead(form, item).catch(function () {}); });
    }
  });
})();
