// The till: keep the scanner's field focused and empty after each scan, the tender step's quick
// amounts and the change worked out as staff type, print buttons, and forms that ask first.
// Everything else is htmx; without this script the forms still post and the server does the sums.
(function () {
  "use strict";

  function yen(n) {
    return "¥" + Math.round(n).toLocaleString("ja-JP");
  }
  function value(input) {
    var n = parseInt((input && input.value || "").replace(/[^0-9]/g, ""), 10);
    return isNaN(n) ? 0 : n;
  }
  function refresh(step) {
    if (!step) return;
    var due = parseInt(step.getAttribute("data-due"), 10) || 0;
    var inputs = step.querySelectorAll("input[data-tender]");
    var total = 0, cash = 0, other = 0;
    inputs.forEach(function (input) {
      var n = value(input);
      total += n;
      if (input.getAttribute("data-tender") === "cash") cash += n; else other += n;
    });
    var tendered = step.querySelector("[data-tendered]");
    var change = step.querySelector("[data-change]");
    var shortRow = step.querySelector(".tender-short");
    var shortCell = step.querySelector("[data-short]");
    if (tendered) tendered.textContent = total ? yen(total) : "—";
    var left = due - total;
    if (shortRow) shortRow.hidden = !(total && left > 0);
    if (shortCell) shortCell.textContent = left > 0 ? yen(left) : "—";
    if (change) change.textContent = total && left <= 0 ? yen(Math.min(-left, cash)) : "—";
  }
  function restFor(step, kind) {
    var due = parseInt(step.getAttribute("data-due"), 10) || 0;
    var paid = 0;
    step.querySelectorAll("input[data-tender]").forEach(function (input) {
      if (input.getAttribute("data-tender") !== kind) paid += value(input);
    });
    return Math.max(due - paid, 0);
  }

  document.addEventListener("input", function (event) {
    var step = event.target.closest && event.target.closest("[data-tender-step]");
    if (step) refresh(step);
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    var printer = target.closest("[data-print]");
    if (printer) { window.print(); return; }
    var step = target.closest("[data-tender-step]");
    if (!step) return;
    var cashButton = target.closest("[data-cash]");
    var restButton = target.closest("[data-rest]");
    if (cashButton) {
      var cash = step.querySelector("input[data-tender=cash]");
      var amount = cashButton.getAttribute("data-cash");
      cash.value = amount === "exact" ? restFor(step, "cash") : value(cash) + parseInt(amount, 10);
      refresh(step);
    } else if (restButton) {
      var kind = restButton.getAttribute("data-rest");
      var input = step.querySelector("input[data-tender=" + kind + "]");
      input.value = restFor(step, kind);
      refresh(step);
      var slip = input.parentNode.querySelector("input[type=text]");
      if (slip) slip.focus();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });

  function focusScanner() {
    var field = document.getElementById("till-code-input");
    if (field && !document.activeElement.closest("#ticket, .till-search, [data-tender-step]")) {
      field.focus();
    }
  }
  // after a scan: empty the field for the next one, keep the focus there
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-scan-form")) {
      var field = document.getElementById("till-code-input");
      if (field) { field.value = ""; field.focus(); }
    }
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-tender-step]").forEach(refresh);
  });
  document.querySelectorAll("[data-tender-step]").forEach(refresh);
  focusScanner();
  if (/[?&]print=1/.test(window.location.search)) window.print();
})();
