// Registers: the cash count adds itself up as staff type the pieces of each note and coin
// (the server counts again on submit), and the printable report's Print button.
(function () {
  "use strict";
  function yen(amount) {
    var sign = amount < 0 ? "-" : "";
    return sign + "¥" + Math.abs(amount).toLocaleString("en-US");
  }
  function recount(form) {
    var total = 0;
    form.querySelectorAll("input[data-denomination]").forEach(function (input) {
      var value = parseInt(input.getAttribute("data-denomination"), 10);
      var pieces = parseInt(input.value, 10);
      var amount = isNaN(pieces) || pieces < 0 ? 0 : value * pieces;
      total += amount;
      var cell = form.querySelector('[data-amount-for="' + value + '"]');
      if (cell) cell.textContent = yen(amount);
    });
    var out = form.querySelector("[data-count-total]");
    if (out) out.textContent = yen(total);
    var expectedCell = form.querySelector("[data-expected]");
    var diff = form.querySelector("[data-count-diff]");
    if (expectedCell && diff) {
      var delta = total - parseInt(expectedCell.getAttribute("data-expected"), 10);
      diff.textContent = delta === 0 ? "±¥0" : (delta > 0 ? "+" : "") + yen(delta);
      diff.classList.toggle("is-off", delta !== 0);
      diff.classList.toggle("is-even", delta === 0);
    }
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-cash-count]");
    if (form) recount(form);
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-cash-count]").forEach(recount);
  });
})();
