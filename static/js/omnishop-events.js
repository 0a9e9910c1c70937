// Omnishop's first-party storefront events (served by the shop itself; CSP: no inline code, no
// eval, no third party). Sends page views, product views, searches and add-to-cart to
// POST /api/v1/events/ in small batches, ONLY once the visitor has accepted analytics: the
// server renders this script with data-consent="granted" or "pending", and never at all for a
// visitor who declined or a browser that refuses tracking (Global Privacy Control / Do Not Track).
// While pending, nothing is recorded or queued; the consent banner's buttons are sent from here
// without reloading the page, and an acceptance records the page being looked at.
(() => {
  const script = document.currentScript || document.getElementById("omnishop-events");
  if (!script) {
    return;
  }
  const config = script.dataset;
  const BATCH = 10; // events per request
  const DELAY = 4000; // ms before a partial batch is sent
  const UTM_KEYS = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];
  let granted = config.consent === "granted";
  let queue = [];
  let timer = null;

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function csrfToken() {
    const name = `${config.csrfCookie || "csrftoken"}=`;
    for (const part of document.cookie.split(";")) {
      const cookie = part.trim();
      if (cookie.startsWith(name)) {
        return decodeURIComponent(cookie.slice(name.length));
      }
    }
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // The campaign the visit came from: the landing page's UTM parameters (and ?campaign=),
  // remembered for this tab only (sessionStorage, written only with consent).
  function campaign() {
    const params = new URLSearchParams(window.location.search);
    const found = {};
    for (const key of [...UTM_KEYS, "campaign"]) {
      const value = params.get(key);
      if (value) {
        found[key] = value.slice(0, key === "campaign" ? 60 : 100);
      }
    }
    try {
      if (Object.keys(found).length) {
        window.sessionStorage.setItem("omnishop.campaign", JSON.stringify(found));
        return found;
      }
      return JSON.parse(window.sessionStorage.getItem("omnishop.campaign") || "{}");
    } catch {
      return found;
    }
  }

  // keepalive: a batch in flight survives the visitor moving to the next page (batches stay far
  // below the browser's 64 KB keepalive allowance).
  function send(events) {
    return fetch(config.endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(events),
    }).catch(() => undefined); // offline: these events are lost, the shop works on
  }

  function flush() {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!granted || !queue.length) {
      return;
    }
    const events = queue;
    queue = [];
    send(events);
  }

  function track(type, properties) {
    if (!granted) {
      return; // no consent: nothing is recorded, not even in memory
    }
    queue.push({ id: uuid4(), type, occurred_at: new Date().toISOString(), properties, ...campaign() });
    if (queue.length >= BATCH) {
      flush();
    } else if (!timer) {
      timer = setTimeout(flush, DELAY);
    }
  }

  function trackPage() {
    track("page_view", {
      path: (window.location.pathname + window.location.search).slice(0, 2000),
      title: document.title.slice(0, 300),
      referrer: document.referrer.slice(0, 2000),
    });
    if (config.product) {
      track("product_view", { code: config.product });
    }
    if (config.searchQuery) {
      const results = Number.parseInt(config.searchResults || "", 10);
      track("search", Number.isNaN(results) ? { query: config.searchQuery } : { query: config.searchQuery, results });
    }
  }

  // Add to cart: the storefront's cart form (htmx or a plain POST) is watched, never changed.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!granted || !(form instanceof HTMLFormElement)) {
      return;
    }
    const action = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    if (action.pathname !== config.cartAdd) {
      return;
    }
    const data = new FormData(form);
    const quantity = Number.parseInt(data.get("quantity") || "1", 10);
    if (data.get("sku")) {
      track("add_to_cart", { sku: String(data.get("sku")).slice(0, 60), quantity: Number.isNaN(quantity) ? 1 : quantity });
      flush(); // the page may be about to change
    }
  }, true);

  // The consent banner: its form works without JavaScript; here it is sent in the background.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-consent-form")) {
      return;
    }
    event.preventDefault();
    const data = new FormData(form);
    const submitter = event.submitter;
    if (submitter && submitter.name) {
      data.set(submitter.name, submitter.value);
    }
    const banner = form.closest(".consent-banner");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: data,
    }).then((response) => (response.ok ? response.json() : Promise.reject(response)))
      .then((answer) => {
        if (banner) {
          banner.hidden = true;
        }
        granted = answer.analytics === true;
        if (granted) {
          trackPage();
          flush();
        }
      })
      .catch(() => {
        // let the server take it the plain way (form.submit() sends no submitter: name the choice)
        const choice = document.createElement("input");
        choice.type = "hidden";
        choice.name = "choice";
        choice.value = data.get("choice") || "";
        form.append(choice);
        form.submit();
      });
  });

  // Whatever is queued goes when the visitor leaves or hides the page.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });
  window.addEventListener("pagehide", () => flush());

  if (granted) {
    trackPage();
  }
})();
