// The offline till: a dropped connection does not stop the till.
//
// - While online it keeps the store's price list (GET data-prices, with its ETag) in IndexedDB,
//   so a scan or a name search resolves with no server.
// - When the connection drops (the browser's offline event, or an htmx request that fails on the
//   network), the server-driven ticket is hidden and an offline sale panel takes its place: scan,
//   quantities, tenders (cash with change, card, QR, voucher: amounts and slip numbers only).
// - Completing an offline sale first writes the whole sale, with its own idempotency key
//   (crypto.randomUUID), to IndexedDB; only then is the ticket cleared.
// - The queue is sent through the API's batch endpoint (POST data-batch, session + CSRF) when the
//   connection returns (online event, a probe, and retries with backoff), oldest first. The key is
//   the guarantee: a sale sent twice (a reload mid-send, two tabs) is "replayed" by the server,
//   never a second order. A refused sale (short stock, a closed register...) stays in the queue as
//   "needs attention" with the server's words, until staff try again or set it aside.
// Every word shown comes translated from the page (json_script #till-offline-strings).
(function () {
  "use strict";

  var app = document.getElementById("till-offline-app");
  var stringsNode = document.getElementById("till-offline-strings");
  if (!app || !stringsNode || !window.indexedDB || !window.fetch || !window.Promise) return;
  var T = JSON.parse(stringsNode.textContent);
  var REGISTER = parseInt(app.getAttribute("data-register"), 10);
  var REGISTER_CODE = app.getAttribute("data-register-code");
  var PRICES_URL = app.getAttribute("data-prices");
  var BATCH_URL = app.getAttribute("data-batch");
  var RECEIPT_URL = app.getAttribute("data-receipt");
  var CSRF = app.getAttribute("data-csrf");
  var SERVICE_WORKER = app.getAttribute("data-service-worker");
  var SCOPE = app.getAttribute("data-scope");
  var CHUNK = 100; // sales per batch request (the endpoint takes up to 500)
  var KEEP_SYNCED_MS = 24 * 3600 * 1000; // recorded sales stay listed for a day
  var MAX_LINE_QUANTITY = 999;

  var el = function (selector) { return app.querySelector(selector); };
  var panel = el("#till-offline");
  var banner = el("#till-offline-banner");
  var queuePanel = el("#till-queue");
  var badge = document.getElementById("till-queue-badge");
  var onlineParts = [document.querySelector(".till-scan"), document.getElementById("ticket"),
                     document.querySelector(".till-closed")];

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, name) {
      return values && values[name] !== undefined ? values[name] : "";
    });
  }
  function yen(n) { return "¥" + Math.round(n).toLocaleString("ja-JP"); }
  function hhmm(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)); // an RFC 4122 v4 UUID by hand
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  // what a scanner or a person typed -> the code looked up (as orders.till.scan_normalise)
  function normalise(code) {
    var text = String(code || "").normalize("NFKC").trim();
    var compact = text.replace(/[ -]/g, "");
    return /^[0-9]+$/.test(compact) ? compact : text;
  }
  // for a name search: NFKC, lower case, hiragana folded to katakana
  function fold(text) {
    return String(text || "").normalize("NFKC").toLowerCase().replace(/[\u3041-\u3096]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) + 0x60);
    }).replace(/\s+/g, "");
  }

  // --- IndexedDB ------------------------------------------------------------------------------
  var dbPromise = new Promise(function (resolve, reject) {
    var request = indexedDB.open("omnishop-till", 1);
    request.onupgradeneeded = function () {
      var db = request.result;
      if (!db.objectStoreNames.contains("sales")) db.createObjectStore("sales", {keyPath: "key"});
      if (!db.objectStoreNames.contains("prices")) db.createObjectStore("prices", {keyPath: "url"});
    };
    request.onsuccess = function () { resolve(request.result); };
    request.onerror = function () { reject(request.error); };
  });
  function store(name, mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        tx.oncomplete = function () { resolve(result); };  // resolved once it is on disk
        tx.onerror = tx.onabort = function () { reject(tx.error); };
        result = work(tx.objectStore(name));
      });
    });
  }
  function getAll(name) {
    var out = [];
    return store(name, "readonly", function (os) {
      os.openCursor().onsuccess = function (event) {
        var cursor = event.target.result;
        if (cursor) { out.push(cursor.value); cursor.continue(); }
      };
    }).then(function () { return out; });
  }
  function putAll(name, rows) {
    return store(name, "readwrite", function (os) { rows.forEach(function (row) { os.put(row); }); });
  }

  // --- the price list -------------------------------------------------------------------------
  var prices = {byCode: new Map(), items: [], fields: null, at: null};
  function usePrices(record) {
    if (!record) return;
    var f = {};
    record.fields.forEach(function (name, i) { f[name] = i; });
    var byCode = new Map();
    var items = record.items.map(function (row) {
      var item = {sku: row[f.sku], barcode: row[f.barcode], name: row[f.name], label: row[f.label],
                  price: row[f.price], rate: row[f.tax_rate]};
      byCode.set(item.barcode, item);
      byCode.set(item.sku, item);
      byCode.set(item.sku.toUpperCase(), item);
      return item;
    });
    prices = {byCode: byCode, items: items, at: record.at, etag: record.etag};
    showPricesStatus();
  }
  // The web font comes in unicode-range subsets fetched when a glyph is first drawn: while online,
  // load the subsets for every character the offline till may draw (the item names, its own
  // words), so a name scanned offline is not drawn as empty boxes.
  var fontsWarm = false;
  function warmFonts() {
    if (fontsWarm || !document.fonts || !document.fonts.load || !prices.items.length) return;
    fontsWarm = true;
    var seen = new Set();
    var texts = Object.keys(T).map(function (k) { return T[k]; });
    prices.items.forEach(function (item) { texts.push(item.name, item.label); });
    texts.forEach(function (text) {
      if (seen.size < 30000) for (var ch of String(text)) seen.add(ch);
    });
    var sample = Array.from(seen).join("");
    var family = window.getComputedStyle(document.body).fontFamily;
    Promise.all(["400", "700"].map(function (weight) {
      return document.fonts.load(weight + " 16px " + family, sample);
    })).then(keepShell, function () { fontsWarm = false; });
  }

  // --- the service worker: a copy of this page and what it was drawn with, for a reload offline --
  var worker = null;
  function keepShell() {
    if (!worker) return;
    var urls = [window.location.pathname];
    performance.getEntriesByType("resource").forEach(function (entry) { urls.push(entry.name); });
    var channel = new MessageChannel();
    channel.port1.onmessage = function () { app.setAttribute("data-shell", "kept"); };
    worker.postMessage({type: "keep", urls: urls}, [channel.port2]);
  }
  if (SERVICE_WORKER && "serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(SERVICE_WORKER, {scope: SCOPE}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      worker = registration.active;
      if (fontsWarm || !prices.items.length) keepShell();
    }).catch(function () { /* no copy for a reload offline: the README says so */ });
  }
  function showPricesStatus(stale) {
    var node = el("[data-prices-status]");
    if (!prices.items.length) { node.textContent = T.prices_none; return; }
    node.textContent = fmt(stale ? T.prices_stale : T.prices_ready,
                           {count: prices.items.length.toLocaleString("ja-JP"), time: hhmm(prices.at)});
    app.setAttribute("data-prices-ready", String(prices.items.length));
  }
  function loadStoredPrices() {
    return store("prices", "readonly", function (os) {
      var holder = {};
      os.get(PRICES_URL).onsuccess = function (event) { holder.value = event.target.result; };
      return holder;
    }).then(function (holder) { usePrices(holder.value); });
  }
  // also the probe that tells the connection is back: a 304 costs a few bytes
  function refreshPrices() {
    var headers = {"Accept": "application/json"};
    if (prices.etag) headers["If-None-Match"] = prices.etag;
    return fetch(PRICES_URL, {credentials: "same-origin", headers: headers, cache: "no-store"}).then(function (response) {
      if (response.status === 304) { warmFonts(); return true; }
      if (!response.ok) throw new Error("prices " + response.status);
      var etag = response.headers.get("ETag");
      return response.json().then(function (body) {
        var record = {url: PRICES_URL, etag: etag, fields: body.fields, items: body.items, at: new Date().toISOString()};
        return putAll("prices", [record]).then(function () { usePrices(record); warmFonts(); return true; });
      });
    });
  }

  // --- online / offline -----------------------------------------------------------------------
  var offline = false;
  function setOffline(value) {
    offline = value;
    var keepPanel = !offline && ticket.lines.length > 0; // a sale half rung up offline is finished there
    var showPanel = offline || keepPanel;
    panel.hidden = !showPanel;
    onlineParts.forEach(function (node) { if (node) node.hidden = showPanel; });
    document.body.classList.toggle("till-is-offline", offline);
    banner.hidden = !showPanel;
    banner.className = "till-offline-banner" + (offline ? " is-offline" : " is-back");
    banner.textContent = offline ? T.offline : T.back_online;
    app.setAttribute("data-mode", offline ? "offline" : "online");
    if (showPanel) {
      var field = el("#till-offline-code");
      var current = document.activeElement;
      if (field && (!current || current === document.body || current.id === "till-code-input")) field.focus();
    }
    renderBadge();
  }
  function wentOffline() {
    if (!offline) setOffline(true);
    scheduleRetry();
  }
  var drawnOffline = !navigator.onLine; // this page may be the service worker's copy
  function cameBack() {
    if (offline) setOffline(false);
    retryDelay = 2000;
    sync().then(function () {
      // a page drawn from the copy shows an old online ticket: draw it afresh once nothing is pending here
      if (drawnOffline && !ticket.lines.length) window.location.reload();
    });
  }
  window.addEventListener("offline", wentOffline);
  window.addEventListener("online", function () {
    // the browser says so; a probe confirms before the queue is sent
    refreshPrices().then(cameBack, scheduleRetry);
  });
  // an htmx request that never reached the server: the connection is gone; what was scanned is kept
  document.body.addEventListener("htmx:sendError", function (event) {
    wentOffline();
    var form = event.detail && event.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-scan-form")) {
      var code = form.querySelector("input[name=code]");
      if (code && code.value) { addCode(code.value); code.value = ""; }
    }
  });

  var retryDelay = 2000;
  var retryTimer = null;
  function scheduleRetry() {
    if (retryTimer) return;
    var delay = retryDelay + Math.floor(Math.random() * 500);
    retryDelay = Math.min(retryDelay * 2, 60000);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      if (!navigator.onLine) { scheduleRetry(); return; }
      refreshPrices().then(cameBack, scheduleRetry);
    }, delay);
  }

  // --- the offline ticket ---------------------------------------------------------------------
  var ticket = {lines: []};
  var flash = el("[data-offline-flash]");
  function say(text, ok) {
    flash.hidden = !text;
    flash.textContent = text || "";
    flash.className = "till-flash " + (ok ? "ok" : "error");
    flash.setAttribute("role", ok ? "status" : "alert");
  }
  function total() {
    return ticket.lines.reduce(function (sum, line) { return sum + line.price * line.quantity; }, 0);
  }
  function addCode(raw) {
    var text = normalise(raw);
    var quantity = 1;
    var star = text.replace("×", "*").split("*");
    if (star.length === 2) {
      quantity = Math.max(1, Math.min(parseInt(normalise(star[0]), 10) || 1, MAX_LINE_QUANTITY));
      text = normalise(star[1]);
    }
    if (!text) { say(T.no_lines, false); return; }
    var item = prices.byCode.get(text) || prices.byCode.get("0" + text) || prices.byCode.get(text.toUpperCase());
    if (!item) { say(fmt(T.not_found, {code: text}), false); return; }
    addItem(item, quantity);
  }
  function addItem(item, quantity) {
    var line = ticket.lines.filter(function (l) { return l.sku === item.sku; })[0];
    if (line) line.quantity = Math.min(line.quantity + quantity, MAX_LINE_QUANTITY);
    else ticket.lines.push({sku: item.sku, name: item.name, label: item.label, price: item.price, rate: item.rate,
                            quantity: quantity});
    say(fmt(T.added, {name: item.name + (item.label ? " " + item.label : "")}), true);
    renderTicket();
  }
  function renderTicket() {
    var list = el("[data-offline-lines]");
    list.textContent = "";
    ticket.lines.forEach(function (line, index) {
      var li = document.createElement("li");
      li.className = "till-line";
      var name = document.createElement("div");
      name.className = "till-line-name";
      if (line.rate === 8) {
        var mark = document.createElement("span"); mark.className = "reduced-mark"; mark.textContent = "※";
        name.appendChild(mark);
      }
      var strong = document.createElement("strong"); strong.textContent = line.name; name.appendChild(strong);
      if (line.label) { var label = document.createElement("span"); label.className = "muted"; label.textContent = " " + line.label; name.appendChild(label); }
      var sub = document.createElement("span"); sub.className = "sub mono"; sub.textContent = line.sku + " · " + yen(line.price);
      name.appendChild(sub);
      var qty = document.createElement("input");
      qty.type = "number"; qty.min = "0"; qty.max = String(MAX_LINE_QUANTITY); qty.value = String(line.quantity);
      qty.inputMode = "numeric"; qty.setAttribute("aria-label", T.quantity); qty.setAttribute("data-line", String(index));
      var qtyWrap = document.createElement("div"); qtyWrap.className = "till-qty"; qtyWrap.appendChild(qty);
      var amount = document.createElement("div"); amount.className = "till-line-amount money";
      amount.textContent = yen(line.price * line.quantity);
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "btn btn-small btn-icon"; remove.textContent = "×";
      remove.title = T.remove; remove.setAttribute("aria-label", T.remove); remove.setAttribute("data-remove", String(index));
      li.appendChild(name); li.appendChild(qtyWrap); li.appendChild(amount); li.appendChild(remove);
      list.appendChild(li);
    });
    var units = ticket.lines.reduce(function (n, line) { return n + line.quantity; }, 0);
    el("[data-offline-units]").textContent = String(units);
    el("[data-offline-empty]").hidden = ticket.lines.length > 0;
    el("[data-offline-total]").textContent = yen(total());
    var step = el("[data-tender-step]");
    step.setAttribute("data-due", String(total()));
    // till.js works the change out on input
    step.querySelector("input[data-tender]").dispatchEvent(new Event("input", {bubbles: true}));
    el("[data-offline-complete]").disabled = ticket.lines.length === 0;
    if (!offline && ticket.lines.length === 0) setOffline(false);
  }
  el("[data-offline-lines]").addEventListener("change", function (event) {
    var index = event.target.getAttribute("data-line");
    if (index === null) return;
    var n = parseInt(normalise(event.target.value), 10);
    n = isNaN(n) ? 1 : Math.max(0, Math.min(n, MAX_LINE_QUANTITY));
    if (n === 0) ticket.lines.splice(+index, 1); else ticket.lines[+index].quantity = n;
    renderTicket();
  });
  el("[data-offline-lines]").addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove]");
    if (!button) return;
    ticket.lines.splice(+button.getAttribute("data-remove"), 1);
    renderTicket();
  });
  el("[data-offline-scan]").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = el("#till-offline-code");
    addCode(field.value);
    field.value = "";
    field.focus();
  });
  var found = el("[data-offline-found]");
  el("[data-offline-search]").addEventListener("input", function (event) {
    var query = fold(event.target.value);
    found.textContent = "";
    if (!query) return;
    var hits = [];
    for (var i = 0; i < prices.items.length && hits.length < 12; i++) {
      var item = prices.items[i];
      // folded on the first search, not on page load (a few hundred ms at 100,000 variants)
      if (item.search === undefined) item.search = fold(item.name + item.label + item.sku);
      if (item.search.indexOf(query) !== -1) hits.push(item);
    }
    if (!hits.length) {
      var none = document.createElement("li"); none.className = "muted small";
      none.textContent = fmt(T.nothing_found, {query: event.target.value});
      found.appendChild(none);
    }
    hits.forEach(function (item) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button"; button.className = "till-found-item"; button.setAttribute("data-sku", item.sku);
      var name = document.createElement("span"); name.className = "till-found-name";
      name.textContent = item.name + (item.label ? " " + item.label : "");
      var meta = document.createElement("span"); meta.className = "till-found-meta mono"; meta.textContent = item.sku;
      var price = document.createElement("span"); price.className = "till-found-price money"; price.textContent = yen(item.price);
      button.appendChild(name); button.appendChild(meta); button.appendChild(price);
      li.appendChild(button); found.appendChild(li);
    });
  });
  found.addEventListener("click", function (event) {
    var button = event.target.closest("[data-sku]");
    if (!button) return;
    addItem(prices.byCode.get(button.getAttribute("data-sku")), 1);
    found.textContent = "";
    el("[data-offline-search]").value = "";
    el("#till-offline-code").focus();
  });

  // --- completing an offline sale: stored first, then the ticket is cleared -------------------
  function tenders() {
    var out = [];
    app.querySelectorAll("[data-offline-pay] input[data-tender]").forEach(function (input) {
      var amount = parseInt(normalise(input.value).replace(/[^0-9]/g, ""), 10);
      if (!amount) return;
      var kind = input.getAttribute("data-tender");
      var ref = app.querySelector("[data-offline-pay] input[data-reference=" + kind + "]");
      out.push({kind: kind, amount: amount, reference: ref ? ref.value.trim() : ""});
    });
    return out;
  }
  el("[data-offline-pay]").addEventListener("submit", function (event) {
    event.preventDefault();
    var errors = el("[data-offline-errors]");
    var due = total();
    var given = tenders();
    var paid = given.reduce(function (n, t) { return n + t.amount; }, 0);
    var cash = given.filter(function (t) { return t.kind === "cash"; }).reduce(function (n, t) { return n + t.amount; }, 0);
    var problem = "";
    if (app.getAttribute("data-open") !== "1") problem = T.closed; // the server would refuse it
    else if (!ticket.lines.length) problem = T.no_lines;
    else if (paid < due) problem = fmt(T.short, {rest: yen(due - paid)});
    else if (paid - cash > due) problem = T.over;
    errors.hidden = !problem;
    errors.textContent = problem;
    if (problem) return;
    var key = newKey();
    var now = new Date().toISOString();
    var change = Math.min(paid - due, cash);
    var sale = {
      key: key, register: REGISTER, registerCode: REGISTER_CODE, created: now, status: "queued",
      total: due, change: change, number: null, detail: null, lines: ticket.lines.slice(),
      payload: {idempotency_key: key, register: REGISTER, sold_at: now, codes: [],
                lines: ticket.lines.map(function (l) { return {code: l.sku, quantity: l.quantity}; }),
                tenders: given},
    };
    var button = el("[data-offline-complete]");
    button.disabled = true;
    putAll("sales", [sale]).then(function () {
      ticket.lines = [];
      app.querySelectorAll("[data-offline-pay] input").forEach(function (input) { input.value = ""; });
      renderTicket();
      say(fmt(offline ? T.queued_sale : T.queued_sale_online, {change: yen(change)}), true);
      renderQueue();
      if (!offline) sync();
    }, function () {
      button.disabled = false;
      errors.hidden = false;
      errors.textContent = T.save_failed;
    });
  });

  // --- the queue ------------------------------------------------------------------------------
  var syncing = false;
  var note = el("[data-queue-note]");
  function statusLabel(sale) {
    return {queued: T.status_queued, sending: T.status_sending, synced: T.status_synced,
            conflict: T.status_conflict, dismissed: T.status_dismissed}[sale.status] || sale.status;
  }
  var lastCounts = {queued: 0, conflict: 0, synced: 0};
  function renderBadge() {
    var text = [];
    if (lastCounts.queued) text.push(fmt(T.badge_queued, {n: lastCounts.queued}));
    if (lastCounts.conflict) text.push(fmt(T.badge_conflicts, {n: lastCounts.conflict}));
    if (!text.length && lastCounts.synced) text.push(T.badge_synced);
    badge.hidden = !text.length && !offline;
    badge.querySelector("[data-badge-text]").textContent = text.join(" · ");
    badge.className = "till-queue-badge" + (lastCounts.conflict ? " has-conflicts" : lastCounts.queued ? " has-queued" : "")
      + (offline ? " is-offline" : "");
    badge.setAttribute("data-queued", String(lastCounts.queued));
    badge.setAttribute("data-conflicts", String(lastCounts.conflict));
  }
  function renderQueue() {
    return getAll("sales").then(function (sales) {
      var cutoff = Date.now() - KEEP_SYNCED_MS;
      var old = sales.filter(function (s) { return s.status === "synced" && Date.parse(s.syncedAt || s.created) < cutoff; });
      if (old.length) store("sales", "readwrite", function (os) { old.forEach(function (s) { os.delete(s.key); }); });
      sales = sales.filter(function (s) { return old.indexOf(s) === -1; });
      sales.sort(function (a, b) { return a.created < b.created ? 1 : -1; });
      lastCounts = {
        queued: sales.filter(function (s) { return s.status === "queued" || s.status === "sending"; }).length,
        conflict: sales.filter(function (s) { return s.status === "conflict"; }).length,
        synced: sales.filter(function (s) { return s.status === "synced"; }).length,
      };
      renderBadge();
      queuePanel.hidden = sales.length === 0;
      var list = el("[data-queue-rows]");
      list.textContent = "";
      sales.forEach(function (sale) { list.appendChild(queueRow(sale)); });
      app.setAttribute("data-queued", String(lastCounts.queued));
      app.setAttribute("data-synced", String(lastCounts.synced));
      app.setAttribute("data-conflicts", String(lastCounts.conflict));
    });
  }
  function queueRow(sale) {
    var li = document.createElement("li");
    li.className = "till-queue-row is-" + sale.status;
    li.setAttribute("data-key", sale.key);
    li.setAttribute("data-status", sale.status);
    var time = document.createElement("span"); time.className = "till-queue-time mono"; time.textContent = hhmm(sale.created);
    var what = document.createElement("span"); what.className = "till-queue-what";
    var units = sale.lines.reduce(function (n, l) { return n + l.quantity; }, 0);
    what.textContent = sale.lines.map(function (l) {
      return l.name + (l.label ? " " + l.label : "") + (l.quantity > 1 ? " ×" + l.quantity : "");
    }).join("、");
    what.title = fmt(T.register, {code: sale.registerCode}) + " · " + units;
    var amount = document.createElement("span"); amount.className = "till-queue-total money"; amount.textContent = yen(sale.total);
    var status = document.createElement("span"); status.className = "till-queue-status";
    var pill = document.createElement("span");
    pill.className = "badge " + ({queued: "badge-warning", sending: "badge-info", synced: "badge-success",
                                  conflict: "badge-danger", dismissed: "badge-muted"}[sale.status] || "badge-muted");
    pill.textContent = statusLabel(sale);
    status.appendChild(pill);
    if (sale.number) {
      var link = document.createElement("a");
      link.href = RECEIPT_URL.replace("NUMBER", encodeURIComponent(sale.number));
      link.className = "mono"; link.textContent = sale.number; link.title = T.receipt;
      status.appendChild(document.createTextNode(" ")); status.appendChild(link);
    }
    li.appendChild(time); li.appendChild(what); li.appendChild(amount); li.appendChild(status);
    if (sale.status === "synced" && sale.stockWarnings && sale.stockWarnings.length) {
      var warning = document.createElement("div"); warning.className = "till-queue-detail is-warning";
      sale.stockWarnings.forEach(function (line) {
        var p = document.createElement("p"); p.className = "small";
        p.textContent = fmt(T.stock_warning, {sku: line.sku, on_hand: line.on_hand, held: line.reserved + line.safety});
        warning.appendChild(p);
      });
      li.appendChild(warning);
    }
    if (sale.status === "conflict") {
      var detail = document.createElement("div"); detail.className = "till-queue-detail";
      var message = document.createElement("p"); message.className = "error"; message.textContent = sale.detail || "";
      detail.appendChild(message);
      if (sale.code === "out_of_stock") {
        var guide = document.createElement("p"); guide.className = "small"; guide.textContent = T.stock_conflict;
        detail.appendChild(guide);
      }
      (sale.shortLines || []).forEach(function (line) {
        var p = document.createElement("p"); p.className = "small";
        p.textContent = fmt(T.short_line, {sku: line.sku, requested: line.requested, available: line.available});
        detail.appendChild(p);
      });
      var actions = document.createElement("div"); actions.className = "till-queue-actions";
      var retry = document.createElement("button"); retry.type = "button"; retry.className = "btn btn-small btn-primary";
      retry.textContent = T.retry; retry.setAttribute("data-retry", sale.key);
      var dismiss = document.createElement("button"); dismiss.type = "button"; dismiss.className = "btn btn-small";
      dismiss.textContent = T.dismiss; dismiss.setAttribute("data-dismiss", sale.key);
      actions.appendChild(retry); actions.appendChild(dismiss); detail.appendChild(actions);
      li.appendChild(detail);
    }
    return li;
  }
  function setStatus(key, status) {
    return getAll("sales").then(function (sales) {
      var sale = sales.filter(function (s) { return s.key === key; })[0];
      if (!sale) return;
      sale.status = status;
      return putAll("sales", [sale]);
    }).then(renderQueue);
  }
  queuePanel.addEventListener("click", function (event) {
    var retry = event.target.closest("[data-retry]");
    var dismiss = event.target.closest("[data-dismiss]");
    if (retry) setStatus(retry.getAttribute("data-retry"), "queued").then(sync);
    else if (dismiss && window.confirm(T.dismiss_confirm)) setStatus(dismiss.getAttribute("data-dismiss"), "dismissed");
    else if (event.target.closest("[data-sync-now]")) { retryDelay = 2000; sync(); }
  });

  // one sender at a time, across the tabs of this browser too (the server would replay anyway)
  function exclusive(work) {
    if (navigator.locks && navigator.locks.request) return navigator.locks.request("omnishop-till-sync", work);
    return work();
  }
  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    return exclusive(function () {
      return getAll("sales").then(function (sales) {
        var pending = sales.filter(function (s) { return s.status === "queued"; });
        pending.sort(function (a, b) { return a.created < b.created ? -1 : 1; }); // oldest first: first served
        var chunks = [];
        for (var i = 0; i < pending.length; i += CHUNK) chunks.push(pending.slice(i, i + CHUNK));
        var sums = {created: 0, replayed: 0, refused: 0};
        return chunks.reduce(function (previous, chunk) {
          return previous.then(function () { return send(chunk, sums); });
        }, Promise.resolve()).then(function () {
          if (chunks.length) note.textContent = fmt(T.sent, sums);
          retryDelay = 2000;
        });
      });
    }).catch(function (error) {
      if (error && error.kind === "http") { note.textContent = error.message; scheduleRetry(); return; }
      wentOffline(); // the network failed mid-way: what was not answered stays queued
    }).then(function () {
      syncing = false;
      return renderQueue();
    });
  }
  function send(chunk, sums) {
    return fetch(BATCH_URL, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": CSRF},
      body: JSON.stringify({sales: chunk.map(function (s) { return s.payload; })}),
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) {
        throw {kind: "http", message: T.sign_in};
      }
      if (!response.ok) throw {kind: "http", message: fmt(T.server_error, {status: response.status})};
      return response.json();
    }).then(function (body) {
      var now = new Date().toISOString();
      body.results.forEach(function (result) {
        var sale = chunk[result.index];
        if (!sale || sale.key !== result.idempotency_key) return;
        if (result.status === "created" || result.status === "replayed") {
          sale.status = "synced"; sale.number = result.number; sale.detail = null; sale.syncedAt = now;
          if (result.status === "created") sale.stockWarnings = result.stock_warnings || [];
        } else {
          sale.status = "conflict"; sale.detail = result.detail; sale.code = result.code;
          sale.shortLines = result.lines || [];
        }
        sums[result.status] += 1;
      });
      return putAll("sales", chunk);
    });
  }

  // --- start ------------------------------------------------------------------------------------
  renderTicket();
  loadStoredPrices().catch(function () {}).then(function () {
    if (!navigator.onLine) { wentOffline(); return; }
    return refreshPrices().then(function () { cameBack(); }, function (error) {
      showPricesStatus(true);
      if (error instanceof TypeError) { drawnOffline = true; wentOffline(); } // the network, not the server, failed
    });
  });
  renderQueue();
  window.setInterval(function () {
    if (!offline && !syncing && lastCounts.queued) sync();
  }, 30000);
})();
