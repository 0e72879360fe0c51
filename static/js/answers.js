// Progressive enhancement for "I have this problem too" and "Helpful": send the form with fetch,
// ask for JSON and update the count in place. Without JavaScript the form posts and redirects.
(function () {
  "use strict";

  function countFor(form, kind) {
    var scope = kind === "same-problem" ? form.closest("[data-answers]") : form;
    return scope ? scope.querySelector('[data-count-for="' + kind + '"]') : null;
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
          var count = countFor(form, form.dataset.answersToggle);
          if (count) count.textContent = String(data.count);
          if (button) {
            button.setAttribute("aria-pressed", data.active ? "true" : "false");
            button.classList.toggle("is-active", Boolean(data.active));
          }
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
