// Progressive enhancement for "I have this problem too", "Helpful" and "Follow": send the form with
// fetch, ask for JSON and update the page in place. Without JavaScript the form posts and redirects.
(function () {
  "use strict";

  function countFor(form, kind) {
    var scope = kind === "same-problem" ? form.closest("[data-answers]") : form;
    return scope ? scope.querySelector('[data-count-for="' + kind + '"]') : null;
  }

  function showCount(form, kind, count) {
    var counter = countFor(form, kind);
    if (counter) counter.textContent = String(count);
    var noun = kind === "same-problem" && form.closest("[data-answers]").querySelector("[data-count-noun]");
    if (noun) noun.textContent = count === 1 ? noun.dataset.one : noun.dataset.many;
    var summary = kind === "same-problem" && form.closest("[data-answers]").querySelector("[data-same-problem-summary]");
    if (summary) summary.hidden = count === 0;
  }

  // The follow form posts to follow or unfollow; its button names what a click will do.
  function showFollowing(panel, following) {
    var form = panel && panel.querySelector('form[data-answers-toggle="follow"]');
    if (!form) return;
    form.action = following ? form.dataset.unfollowUrl : form.dataset.followUrl;
    var button = form.querySelector("button[type=submit]");
    button.textContent = following ? "Unfollow" : "Follow";
    button.dataset.following = following ? "true" : "false";
  }

  function applied(form, data) {
    var kind = form.dataset.answersToggle;
    if (kind === "follow") {
      showFollowing(form.closest("[data-answers]"), Boolean(data.following));
      return;
    }
    showCount(form, kind, data.count);
    var button = form.querySelector("button[type=submit]");
    button.setAttribute("aria-pressed", data.active ? "true" : "false");
    button.classList.toggle("is-active", Boolean(data.active));
    if (data.following) showFollowing(form.closest("[data-answers]"), true);
  }

  function enhance(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error((data.error && data.error.message) || "Something went wrong.");
            return data;
          });
        })
        .then(function (data) {
          applied(form, data);
        })
        .catch(function (error) {
          window.alert(error.message);
        })
        .finally(function () {
          if (button) button.disabled = false;
        });
    });
  }

  document.querySelectorAll("form[data-answers-toggle]").forEach(enhance);
})();
