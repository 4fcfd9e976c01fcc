/* ReturnBridge chat widget. Embed on any page with one tag:
 *   <script src="https://YOUR-RETURNBRIDGE/widget.js" defer></script>
 * It talks to the JSON API of the server it was loaded from (the store's site must be in
 * RETURNBRIDGE_CHAT_ALLOWED_ORIGINS). Its colour is the policy's brand_colour, or the tag's
 * own: <script src="…/widget.js" data-colour="#0b6e4f" defer></script>. */
(function () {
  "use strict";
  if (window.__returnBridgeChat) return;
  window.__returnBridgeChat = true;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var origin = script ? new URL(script.src, window.location.href).origin : window.location.origin;
  var KEY = "returnbridge.chat";
  // The policy's brand_colour, written in by the server when it serves this file.
  var STORE_COLOUR = /*RB_BRAND*/null;
  var HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
  var MAX_BYTES = 10 * 1024 * 1024;
  var session = null;
  var starting = null;
  var lastId = 0;
  var busy = false;
  var pollTimer = null;

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = origin + "/static/widget.css";
  document.head.appendChild(css);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var root = el("div", { "class": "rb-chat" });
  var launcher = el("button", { "class": "rb-launcher", type: "button", "aria-controls": "rb-panel", "aria-expanded": "false" }, "Chat with us");
  var panel = el("section", { "class": "rb-panel", id: "rb-panel", role: "dialog", "aria-label": "Returns chat", hidden: "" });
  var head = el("div", { "class": "rb-head" });
  head.appendChild(el("h2", {}, "Returns help"));
  var close = el("button", { "class": "rb-close", type: "button", "aria-label": "Close chat" }, "\u00d7");
  head.appendChild(close);
  var log = el("ol", { "class": "rb-log", "aria-live": "polite", "aria-label": "Conversation" });
  var typing = el("p", { "class": "rb-typing", "aria-live": "polite" }, "");
  var quick = el("div", { "class": "rb-quick", role: "group", "aria-label": "Quick replies" });
  var error = el("p", { "class": "rb-error", role: "alert" }, "");
  var form = el("form", { "class": "rb-form" });
  var photoWrap = el("label", { "class": "rb-photo" });
  photoWrap.appendChild(el("span", { "class": "rb-photo-label" }, "Photo"));
  var photo = el("input", { type: "file", accept: "image/jpeg,image/png,image/webp,image/heic,image/heif", "aria-label": "Add a photo" });
  photoWrap.appendChild(photo);
  var input = el("input", { type: "text", "aria-label": "Your message", placeholder: "Type a message\u2026", autocomplete: "off", maxlength: "4000" });
  var send = el("button", { type: "submit" }, "Send");
  form.appendChild(photoWrap);
  form.appendChild(input);
  form.appendChild(send);
  [head, log, typing, quick, error, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(launcher);
  root.appendChild(panel);
  applyColour(root);
  document.body.appendChild(root);

  // Only a plain hex colour is taken: anything else (a url(), an expression, a typo) leaves
  // the default, so a tag attribute can never inject style.
  function chosenColour() {
    var given = script ? (script.getAttribute("data-colour") || script.getAttribute("data-color") || "") : "";
    given = given.trim();
    if (HEX.test(given)) return given;
    return typeof STORE_COLOUR === "string" && HEX.test(STORE_COLOUR) ? STORE_COLOUR : null;
  }

  function channel(hex, i) {
    var full = hex.length === 4 ? hex.replace(/^#(.)(.)(.)$/, "#$1$1$2$2$3$3") : hex;
    var value = parseInt(full.substr(1 + 2 * i, 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
  }

  function applyColour(node) {
    var colour = chosenColour();
    if (!colour) return;
    var light = 0.2126 * channel(colour, 0) + 0.7152 * channel(colour, 1) + 0.0722 * channel(colour, 2);
    // white or near-black text, whichever reads better on the colour (WCAG contrast)
    var onColour = (1.05 / (light + 0.05)) >= ((light + 0.05) / 0.05) ? "#ffffff" : "#111827";
    node.style.setProperty("--rb-brand", colour);
    node.style.setProperty("--rb-on-brand", onColour);
  }

  function scrollToNewest() {
    log.scrollTop = log.scrollHeight;
  }

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    typing.textContent = on ? "Typing\u2026" : "";
    panel.setAttribute("aria-busy", on ? "true" : "false");
    Array.prototype.forEach.call(quick.querySelectorAll("button"), function (b) { b.disabled = on; });
  }

  function addMessage(m) {
    if (m.id && m.id <= lastId) return;
    if (m.id) lastId = m.id;
    var li = el("li", { "class": "rb-msg " + (m.role === "customer" ? "rb-customer" : "rb-bot"), "data-id": String(m.id || "") }, m.text);
    if (m.label_url) {
      li.appendChild(document.createTextNode(" "));
      var a = el("a", { href: origin + m.label_url, target: "_blank", rel: "noopener" }, "Download return label (PDF)");
      li.appendChild(a);
    }
    log.appendChild(li);
    scrollToNewest();
  }

  function showQuick(buttons) {
    quick.textContent = "";
    (buttons || []).forEach(function (b) {
      var button = el("button", { type: "button", "data-value": b.value }, b.label);
      button.addEventListener("click", function () { post({ choice: b.value }, b.label); });
      quick.appendChild(button);
    });
  }

  function api(path, options) {
    return fetch(origin + path, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) {
          var message = body && body.error && body.error.message ? body.error.message : "Something went wrong. Please try again.";
          var err = new Error(message);
          err.status = r.status;
          throw err;
        }
        return body;
      });
    });
  }

  function take(body) {
    (body.messages || []).forEach(addMessage);
    showQuick(body.quick_replies);
    scrollToNewest(); // the quick replies take room from the log
  }

  function start() {
    var stored = null;
    try { stored = window.localStorage.getItem(KEY); } catch (e) { stored = null; }
    if (stored) {
      session = stored;
      return api("/api/chat/sessions/" + encodeURIComponent(session) + "/messages").then(take).catch(function () {
        session = null;
        return start();
      });
    }
    return api("/api/chat/sessions", { method: "POST" }).then(function (body) {
      session = body.session;
      try { window.localStorage.setItem(KEY, session); } catch (e) { /* private mode */ }
      take(body);
    });
  }

  function post(payload, shown) {
    if (busy || !session) return;
    error.textContent = "";
    addMessage({ role: "customer", text: shown });
    setBusy(true);
    api("/api/chat/sessions/" + encodeURIComponent(session) + "/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(take).catch(function (e) { error.textContent = e.message; }).then(function () { setBusy(false); input.focus(); });
  }

  function poll() {
    if (!session || busy) return;
    api("/api/chat/sessions/" + encodeURIComponent(session) + "/messages?after=" + lastId).then(function (body) {
      if ((body.messages || []).length) take(body);
    }).catch(function () { /* try again next time */ });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    post({ text: text }, text);
  });

  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) return;
    // A photo chosen while the session is still being opened waits for it.
    var ready = session ? Promise.resolve() : (starting || start());
    ready.then(function () { upload(file); }).catch(function (e) { error.textContent = e.message; });
  });

  function upload(file) {
    error.textContent = "";
    if (file.size > MAX_BYTES) {
      error.textContent = "That photo is larger than 10 MB. Please send a smaller one.";
      photo.value = "";
      return;
    }
    var data = new FormData();
    data.append("photo", file);
    addMessage({ role: "customer", text: "Photo: " + file.name });
    setBusy(true);
    api("/api/chat/sessions/" + encodeURIComponent(session) + "/photos", { method: "POST", body: data })
      .then(take)
      .catch(function (e) { error.textContent = e.message; })
      .then(function () { setBusy(false); photo.value = ""; });
  }

  function open() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    scrollToNewest(); // a hidden log had no height to scroll
    starting = session ? Promise.resolve() : start();
    starting.then(function () { input.focus(); }).catch(function (e) { error.textContent = e.message; });
    if (!pollTimer) pollTimer = window.setInterval(poll, 5000);
  }

  function shut() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", open);
  close.addEventListener("click", shut);
  // Escape closes the chat when the customer is in it (or nowhere in particular), never
  // when the store's page has the focus in a dialog of its own.
  document.addEventListener("keydown", function (event) {
    if (panel.hidden || (event.key !== "Escape" && event.key !== "Esc")) return;
    var active = document.activeElement;
    if (active && active !== document.body && !panel.contains(active)) return;
    event.preventDefault();
    shut();
  });
})();
