// User cards: hover a name (mouse) or tap an avatar (touch) to see who someone is. The name stays a
// plain link to the profile, so nothing is lost without JavaScript. Text goes in with textContent.
(function () {
  "use strict";

  var HOVER_DELAY = 350;
  var cache = {};
  var card = null;
  var openFor = null;
  var timer = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function avatar(data) {
    if (data.avatar_url) {
      var img = el("img", "avatar avatar-32");
      img.src = data.avatar_url;
      img.alt = "";
      img.width = 32;
      img.height = 32;
      return img;
    }
    var span = el("span", "avatar avatar-32 avatar-initials avatar-c" + data.colour, data.initials);
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function fill(data) {
    card.replaceChildren();
    card.setAttribute("aria-label", "About " + data.name);
    var head = el("div", "user-card-head");
    head.appendChild(avatar(data));
    var who = el("div");
    who.appendChild(el("p", "user-card-name", data.name));
    var badge = el("span", data.staff ? "badge badge-staff" : data.verified_customer ? "badge badge-verified" : "badge", data.role);
    who.appendChild(badge);
    head.appendChild(who);
    card.appendChild(head);
    card.appendChild(el("p", "thread-meta", "@" + data.username + " · Joined " + data.joined));
    card.appendChild(el("p", "", plural(data.answers.accepted, "accepted answer", "accepted answers") + " · " +
      plural(data.answers.verified, "staff-verified answer", "staff-verified answers")));
    if (data.activity.length) {
      card.appendChild(el("p", "thread-meta", "Recent activity"));
      var list = el("ul");
      data.activity.forEach(function (item) {
        var li = el("li");
        var link = el("a", "", item.title);
        link.href = item.url;
        li.appendChild(link);
        list.appendChild(li);
      });
      card.appendChild(list);
    }
    var more = el("a", "", "View profile");
    more.href = data.profile_url;
    card.appendChild(more);
  }

  function place(anchor) {
    var box = anchor.getBoundingClientRect();
    var left = Math.min(window.scrollX + box.left, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 12);
    card.style.left = Math.max(12, left) + "px";
    card.style.top = window.scrollY + box.bottom + 6 + "px";
  }

  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("no card");
        return response.json();
      });
      cache[url].catch(function () { delete cache[url]; });
    }
    return cache[url];
  }

  function show(link) {
    if (!card) {
      card = el("div", "user-card");
      card.setAttribute("role", "dialog");
      card.hidden = true;
      card.addEventListener("mouseenter", function () { clearTimeout(timer); });
      card.addEventListener("mouseleave", scheduleHide);
      document.body.appendChild(card);
    }
    openFor = link;
    load(link.dataset.userCard).then(function (data) {
      if (openFor !== link) return;
      fill(data);
      card.hidden = false;
      place(link);
    }).catch(function () {});
  }

  function hide() {
    clearTimeout(timer);
    openFor = null;
    if (card) card.hidden = true;
  }

  function scheduleHide() {
    clearTimeout(timer);
    timer = setTimeout(hide, 250);
  }

  var finePointer = window.matchMedia("(hover: hover) and (pointer: fine)");

  document.addEventListener("mouseover", function (event) {
    var link = event.target.closest && event.target.closest("a[data-user-card]");
    if (!link || !finePointer.matches) return;
    clearTimeout(timer);
    if (openFor === link) return;
    timer = setTimeout(function () { show(link); }, HOVER_DELAY);
  });
  document.addEventListener("mouseout", function (event) {
    var link = event.target.closest && event.target.closest("a[data-user-card]");
    if (link) scheduleHide();
  });
  // A tap on the avatar beside a name opens the card; the name itself still opens the profile.
  document.addEventListener("click", function (event) {
    var face = event.target.closest && event.target.closest(".person > .avatar");
    if (face) {
      var link = face.parentNode.querySelector("a[data-user-card]");
      if (link) {
        event.preventDefault();
        if (openFor === link && card && !card.hidden) hide(); else show(link);
        return;
      }
    }
    if (card && !card.hidden && !card.contains(event.target)) hide();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
})();
