// Print buttons of the return receipt (console print page): no inline script under the CSP.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
