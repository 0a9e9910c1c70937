// Storefront progressive enhancements (CSP: no inline scripts). Everything works without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Forms marked data-submit-once are sent once: a second click does nothing, and the submit
// button is disabled and shows its data-busy-label ("Placing your order…") until the next
// page loads. (The server is idempotent anyway: the checkout form carries a one-time token.)
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) {
    return;
  }
  if (form.hasAttribute("data-submitting")) {
    event.preventDefault();
    return;
  }
  form.setAttribute("data-submitting", "");
  form.setAttribute("aria-busy", "true");
  const buttons = form.querySelectorAll("button[type=submit], button:not([type])");
  // After this event: a disabled button would drop out of the data the browser is sending.
  setTimeout(() => {
    for (const button of buttons) {
      if (button.dataset.busyLabel) {
        button.dataset.idleLabel = button.textContent;
        button.textContent = button.dataset.busyLabel;
      }
      button.disabled = true;
    }
  }, 0);
});

// A page restored from the back/forward cache gets its buttons back.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  for (const form of document.querySelectorAll("form[data-submitting]")) {
    form.removeAttribute("data-submitting");
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button[disabled]")) {
      if (button.dataset.idleLabel) {
        button.textContent = button.dataset.idleLabel;
      }
      button.disabled = false;
    }
  }
});
