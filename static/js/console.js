// The console's only script: the phone navigation drawer, and filter drawers that stay open on
// a wider screen (closed on a phone until a filter is in use). Everything else is htmx.
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  document.body && document.body.classList.remove("no-js");
  function setOpen(open) {
    document.body.classList.toggle("nav-open", open);
    var toggle = document.querySelector(".nav-toggle");
    if (toggle) toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest(".nav-toggle")) {
      setOpen(!document.body.classList.contains("nav-open"));
    } else if (target.closest(".nav-backdrop")) {
      setOpen(false);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") setOpen(false);
  });
  if (window.matchMedia && window.matchMedia("(min-width: 760px)").matches) {
    document.querySelectorAll("details[data-filter-drawer]").forEach(function (drawer) { drawer.open = true; });
  }
  // A printable document (pick list, packing slips): <button data-print>.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
  // A form that ends something (cancel a campaign) asks first: <form data-confirm="question">.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
