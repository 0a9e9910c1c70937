// Storefront progressive enhancements (CSP: no inline scripts). Everything works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});
