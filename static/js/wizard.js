// Project wizard: show only the options of the chosen template type.
(function () {
  const form = document.getElementById("project-form");
  if (!form) return;
  function sync() {
    const chosen = form.querySelector("input[name=template_type]:checked");
    const kind = chosen ? chosen.value : "";
    form.querySelectorAll("[data-for]").forEach(function (element) {
      element.hidden = !element.dataset.for.split(" ").includes(kind);
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "template_type") sync();
  });
  sync();
})();
