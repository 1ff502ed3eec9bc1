/* 登门三问 form: the project picker offers only the chosen enterprise's projects (DESIGN §3 Visit.project).
   The server renders them for the enterprise it knows; when the enterprise changes, they are reloaded from
   the projects API (scoped to the user). Without JavaScript the server still refuses a foreign project. */
(function () {
  "use strict";

  var enterprise = document.getElementById("id_enterprise");
  var project = document.getElementById("id_project");
  if (!enterprise || !project || !project.dataset.projectsUrl || enterprise.disabled) return;

  function reset() {
    var empty = project.querySelector('option[value=""]');
    project.innerHTML = "";
    if (empty) project.appendChild(empty);
    project.value = "";
  }

  enterprise.addEventListener("change", function () {
    reset();
    var id = enterprise.value;
    if (!/^\d+$/.test(id)) return;
    var url = project.dataset.projectsUrl + "?enterprise=" + id + "&ordering=name&page_size=200";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) {
        if (enterprise.value !== id) return; // another enterprise was chosen meanwhile
        (body.results || []).forEach(function (row) {
          var option = document.createElement("option");
          option.value = String(row.id);
          option.textContent = row.name;
          project.appendChild(option);
        });
      })
      .catch(function () { /* leave the picker empty: a visit without project is valid */ });
  });
})();
