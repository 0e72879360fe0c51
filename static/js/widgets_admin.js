// Widgets page: copy the embed snippet; show only the options that apply to the chosen widget type.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy-target"));
      source.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(source.value).then(done, function () {});
      else if (document.execCommand("copy")) done();
    });
  });

  var form = document.querySelector("[data-widget-form]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  var sortField = form.querySelector("select[name=sort]").closest(".field");
  function showRelevant() {
    sortField.hidden = kind.value !== "solved";
  }
  kind.addEventListener("change", showRelevant);
  showRelevant();
})();
