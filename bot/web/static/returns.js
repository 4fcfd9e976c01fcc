/* ReturnBridge: the customer's returns page. Plain JavaScript, no build step. */
(function () {
  "use strict";

  var MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  var POLL_MS = 5000;
  var STORAGE_KEY = "returnbridge.case";
  var FINAL_STATUSES = ["resolved", "denied", "cancelled"];
  var RESOLUTION_WORDS = {
    refund: "Refund",
    store_credit: "Store credit",
    replacement: "Replacement",
    partial_refund: "Partial refund",
  };

  var state = {
    order: null, // the lookup reply: items, reasons, resolutions
    email: "",
    ref: null, // {code, token} of the case on screen
    pollTimer: null,
    seq: 0, // requests for the case, in the order they were sent
    shownSeq: 0, // the newest one drawn, so a slow poll never overwrites a newer upload reply
    messagesKey: "",
    quote: null, // the newest preview of what the customer gets, with the choices it was for
    previewSeq: 0,
    previewTimer: null,
  };

  function $(id) {
    return document.getElementById(id);
  }

  // -- talking to the server -------------------------------------------------------------------

  function friendlyStatusMessage(status) {
    if (status === 404) return "We couldn't find that. Please check the details and try again.";
    if (status === 413) return "That photo is larger than 10 MB. Please choose a smaller one.";
    if (status === 415) return "That file isn't a photo we can read. Please choose a JPEG, PNG, WebP or HEIC image.";
    if (status === 400 || status === 422) return "Some details don't look right. Please check the form and try again.";
    if (status === 429) return "Too many tries. Please wait a moment and try again.";
    return "Something went wrong on our side. Please try again in a moment.";
  }

  /** fetch a JSON reply; throws an Error whose message is always fit to show a customer. */
  function api(url, options) {
    return fetch(url, Object.assign({ headers: { Accept: "application/json" } }, options)).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (response.ok && data) return data;
            var problem = data && data.error;
            var message =
              problem && typeof problem.message === "string" && problem.message
                ? problem.message
                : friendlyStatusMessage(response.ok ? 500 : response.status);
            var error = new Error(message);
            error.status = response.status;
            error.code = problem && problem.code;
            throw error;
          });
      },
      function () {
        var error = new Error("We couldn't reach the store. Check your connection and try again.");
        error.status = 0;
        error.network = true;
        throw error;
      }
    );
  }

  // -- small page helpers ------------------------------------------------------------------------

  function setBusy(button, busy) {
    if (!button) return;
    if (busy) {
      if (!button.dataset.idleText) button.dataset.idleText = button.textContent;
      button.textContent = button.dataset.busyText || "Working…";
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.classList.add("is-busy");
    } else {
      if (button.dataset.idleText) button.textContent = button.dataset.idleText;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.classList.remove("is-busy");
    }
  }

  function showNotice(element, message) {
    element.textContent = message || "";
    element.hidden = !message;
  }

  function markInvalid(fields, invalid) {
    fields.forEach(function (field) {
      if (!field) return;
      if (invalid.indexOf(field) >= 0) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }

  function showStep(name, moveFocus) {
    ["lookup", "request", "case"].forEach(function (step) {
      $("step-" + step).hidden = step !== name;
      var marker = document.querySelector('[data-step-marker="' + step + '"]');
      if (step === name) marker.setAttribute("aria-current", "step");
      else marker.removeAttribute("aria-current");
    });
    $("lede").hidden = name === "case";
    if (moveFocus) {
      var heading = $(name + "-title");
      if (heading) heading.focus();
    }
  }

  function formatMoney(amount, currency) {
    var number = Number(amount);
    if (!currency || !isFinite(number)) return String(amount);
    try {
      return new Intl.NumberFormat(document.documentElement.lang || "en", {
        style: "currency",
        currency: currency,
      }).format(number);
    } catch (e) {
      return amount + " " + currency;
    }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function photoProblem(file) {
    if (!file) return null;
    if (file.size > MAX_PHOTO_BYTES) return "That photo is larger than 10 MB. Please choose a smaller one.";
    if (file.size === 0) return "That file is empty. Please choose a photo.";
    return null;
  }

  // -- step 1: find the order -------------------------------------------------------------------

  function onLookup(event) {
    event.preventDefault();
    var form = event.currentTarget;
    var button = form.querySelector('button[type="submit"]');
    var orderInput = $("lookup-order");
    var emailInput = $("lookup-email");
    var errorBox = $("lookup-error");
    var order = orderInput.value.trim();
    var email = emailInput.value.trim();

    var invalid = [];
    var message = "";
    if (!order) {
      invalid.push(orderInput);
      message = "Please enter your order number.";
    }
    // A cash-on-delivery order has a phone and maybe no email: at least 8 digits will do.
    var phoneDigits = email.replace(/\D/g, "").length;
    if (!email || (email.indexOf("@") < 1 && phoneDigits < 8)) {
      invalid.push(emailInput);
      message = message ? "Please enter your order number and email address." : "Please enter the email address you ordered with.";
    }
    markInvalid([orderInput, emailInput], invalid);
    if (invalid.length) {
      showNotice(errorBox, message);
      invalid[0].focus();
      return;
    }

    showNotice(errorBox, "");
    setBusy(button, true);
    api("/api/returns/lookup", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ order: order, email: email }),
    })
      .then(function (data) {
        var sameOrder = state.order && state.order.order === data.order && state.email === email;
        state.order = data;
        state.email = email;
        renderRequestForm(data, sameOrder);
        showStep("request", true);
      })
      .catch(function (error) {
        if (error.status === 404) markInvalid([orderInput, emailInput], [orderInput, emailInput]);
        showNotice(errorBox, error.message);
      })
      .then(function () {
        setBusy(button, false);
      });
  }

  // -- step 2: the return request ---------------------------------------------------------------

  function itemNote(item) {
    if (item.final_sale) return "Final sale: this item can't be returned.";
    if (item.returnable <= 0) return "Already being returned.";
    if (item.returnable === 1) return "1 can be returned";
    return item.returnable + " can be returned";
  }

  function renderRequestForm(data, keepValues) {
    var form = $("request-form");
    if (!keepValues) {
      form.reset();
      showNotice($("request-error"), "");
    }
    var who = data.customer_name ? "Hi " + data.customer_name + ", this" : "This";
    $("request-greeting").textContent = who + " is order " + data.order + ".";
    $("request-undelivered").hidden = data.delivered !== false;
    // Sold on a marketplace: its return is made there, so the form gives way to where to go.
    $("request-marketplace").textContent = data.marketplace || "";
    $("request-marketplace").hidden = !data.marketplace;
    $("request-form").hidden = !!data.marketplace;

    var list = $("item-list");
    list.textContent = "";
    var selectable = [];
    data.items.forEach(function (item, index) {
      var blocked = item.final_sale || item.returnable <= 0;
      var id = "item-" + index;
      var row = element("div", "item" + (blocked ? " item-disabled" : ""));
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "sku";
      input.id = id;
      input.value = item.sku;
      input.dataset.index = String(index);
      input.disabled = blocked;
      input.setAttribute("aria-describedby", id + "-note");
      var label = element("label", "item-label");
      label.htmlFor = id;
      label.appendChild(element("span", "item-name", item.name || item.sku));
      var meta = element("span", "item-meta");
      meta.appendChild(element("span", "item-sku", "SKU " + item.sku));
      meta.appendChild(element("span", "item-price", formatMoney(item.unit_price, item.currency) + " each"));
      label.appendChild(meta);
      label.appendChild(element("span", "item-note" + (blocked ? " item-note-blocked" : ""), itemNote(item)));
      label.lastChild.id = id + "-note";
      row.appendChild(input);
      row.appendChild(label);
      list.appendChild(row);
      if (!blocked) selectable.push(input);
    });
    if (!selectable.length) {
      list.appendChild(
        element("p", "notice notice-info", "None of the items on this order can be returned online. Please contact the store.")
      );
    }
    if (selectable.length === 1) selectable[0].checked = true;

    var reason = $("request-reason");
    var chosenReason = keepValues ? reason.value : "";
    while (reason.options.length > 1) reason.remove(1);
    data.reasons.forEach(function (r) {
      var option = element("option", null, r.label);
      option.value = r.code;
      reason.appendChild(option);
    });
    reason.value = chosenReason;

    var resolutions = $("resolution-list");
    var chosenResolution = keepValues ? (form.querySelector('input[name="resolution"]:checked') || {}).value : null;
    resolutions.textContent = "";
    data.resolutions.forEach(function (r, index) {
      var row = element("div", "choice");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "resolution";
      input.id = "resolution-" + index;
      input.value = r.code;
      input.checked = chosenResolution ? chosenResolution === r.code : index === 0;
      var label = element("label", null, r.label);
      label.htmlFor = input.id;
      var bonus = Number(data.store_credit_bonus_percent) || 0;
      if (r.code === "store_credit" && bonus > 0) {
        label.appendChild(document.createTextNode(" "));
        label.appendChild(element("span", "bonus", "+" + bonus + "% bonus"));
      }
      row.appendChild(input);
      row.appendChild(label);
      resolutions.appendChild(row);
    });
    form.querySelector('button[type="submit"]').disabled = !selectable.length;
    syncQuantity();
    syncPhoto();
    requestPreview();
  }

  // -- photo marking and the preview of what the customer gets ----------------------------------

  function photoRequired() {
    var item = selectedItem();
    var reason = $("request-reason").value;
    if (!item || !reason) return false;
    if (state.quote && state.quote.key === previewKey() && state.quote.photo_required !== undefined) {
      return !!state.quote.photo_required;
    }
    return (item.photo_reasons || []).indexOf(reason) >= 0;
  }

  function syncPhoto() {
    var required = photoRequired();
    var input = $("request-photo");
    input.required = required;
    input.setAttribute("aria-required", required ? "true" : "false");
    var mark = $("request-photo-mark");
    mark.textContent = required ? "(required)" : "(optional)";
    mark.className = required ? "required-mark" : "optional";
    $("request-photo-hint").textContent = required
      ? "The store needs a photo showing the problem for this reason. JPEG, PNG, WebP or HEIC, up to 10\u00a0MB."
      : "A photo helps with damaged, faulty or wrong items. JPEG, PNG, WebP or HEIC, up to 10\u00a0MB.";
  }

  function previewKey() {
    var item = selectedItem();
    var reason = $("request-reason").value;
    var resolution = $("request-form").querySelector('input[name="resolution"]:checked');
    var quantity = parseInt($("request-quantity").value, 10);
    if (!item || !reason || !resolution || !(quantity >= 1 && quantity <= item.returnable)) return null;
    return [item.sku, quantity, reason, resolution.value].join("|");
  }

  function requestPreview() {
    var box = $("request-preview");
    var key = previewKey();
    if (state.previewTimer) clearTimeout(state.previewTimer);
    if (!key) {
      box.hidden = true;
      state.quote = null;
      return;
    }
    if (state.quote && state.quote.key === key) return;
    state.previewTimer = setTimeout(function () {
      var parts = key.split("|");
      var seq = ++state.previewSeq;
      $("request-preview-text").textContent = "Working out what you'll get…";
      box.hidden = false;
      api("/api/returns/quote", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({
          order: state.order.order,
          email: state.email,
          sku: parts[0],
          quantity: Number(parts[1]),
          reason: parts[2],
          resolution: parts[3],
        }),
      })
        .then(function (quote) {
          if (seq !== state.previewSeq) return; // a newer choice was made meanwhile
          quote.key = key;
          state.quote = quote;
          $("request-preview-text").textContent = quote.you_get;
          syncPhoto();
        })
        .catch(function (error) {
          if (seq !== state.previewSeq) return;
          $("request-preview-text").textContent = error.message;
        });
    }, 150);
  }

  function selectedItem() {
    var checked = $("request-form").querySelector('input[name="sku"]:checked');
    return checked && state.order ? state.order.items[Number(checked.dataset.index)] : null;
  }

  function syncQuantity() {
    var item = selectedItem();
    var quantity = $("request-quantity");
    var hint = $("request-quantity-hint");
    if (!item) {
      quantity.max = "1";
      hint.textContent = "Choose an item first.";
      return;
    }
    quantity.max = String(item.returnable);
    var value = parseInt(quantity.value, 10);
    if (!(value >= 1)) quantity.value = "1";
    else if (value > item.returnable) quantity.value = String(item.returnable);
    hint.textContent =
      item.returnable === 1 ? "You can return 1 of this item." : "You can return 1 to " + item.returnable + " of this item.";
  }

  function onRequest(event) {
    event.preventDefault();
    var form = event.currentTarget;
    var button = form.querySelector('button[type="submit"]');
    var errorBox = $("request-error");
    var quantityInput = $("request-quantity");
    var reasonInput = $("request-reason");
    var photoInput = $("request-photo");
    var item = selectedItem();
    var resolution = form.querySelector('input[name="resolution"]:checked');
    var quantity = Number(quantityInput.value);
    var photo = photoInput.files && photoInput.files[0];

    var invalid = [];
    var problems = [];
    var firstItem = form.querySelector('input[name="sku"]:not(:disabled)');
    if (!item) {
      problems.push("choose the item you want to return");
    }
    if (item && !(Number.isInteger(quantity) && quantity >= 1 && quantity <= item.returnable)) {
      invalid.push(quantityInput);
      problems.push("choose a quantity from 1 to " + item.returnable);
    }
    if (!reasonInput.value) {
      invalid.push(reasonInput);
      problems.push("choose a reason");
    }
    if (!resolution) problems.push("choose what you'd like instead");
    var photoMessage = photoProblem(photo);
    if (!photo && photoRequired()) photoMessage = "Please add a photo of the item: the store needs one for this reason.";
    if (photoMessage) invalid.push(photoInput);
    markInvalid([quantityInput, reasonInput, photoInput], invalid);
    if (problems.length || photoMessage) {
      var text = problems.length ? "Please " + problems.join(", ") + "." : "";
      showNotice(errorBox, [text, photoMessage].filter(Boolean).join(" "));
      var focusTarget = !item ? firstItem : invalid[0];
      if (focusTarget) focusTarget.focus();
      return;
    }

    var body = new FormData();
    body.append("order", state.order.order);
    body.append("email", state.email);
    body.append("sku", item.sku);
    body.append("quantity", String(quantity));
    body.append("reason", reasonInput.value);
    body.append("resolution", resolution.value);
    body.append("note", $("request-note").value.trim());
    if (photo) body.append("photo", photo, photo.name || "photo.jpg");

    showNotice(errorBox, "");
    setBusy(button, true);
    api("/api/returns", { method: "POST", body: body })
      .then(function (payload) {
        openCase({ code: payload.case.code, token: payload.token }, payload);
        showStep("case", true);
      })
      .catch(function (error) {
        if (error.status === 413 || error.status === 415) markInvalid([photoInput], [photoInput]);
        showNotice(errorBox, error.message);
        errorBox.scrollIntoView({ block: "nearest" });
      })
      .then(function () {
        setBusy(button, false);
      });
  }

  // -- step 3: the case -------------------------------------------------------------------------

  function rememberCase(ref) {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(ref));
    } catch (e) {
      /* private mode: the URL hash still brings the case back */
    }
    var hash = "#case=" + encodeURIComponent(ref.code) + "&token=" + encodeURIComponent(ref.token);
    if (location.hash !== hash) history.replaceState(null, "", location.pathname + location.search + hash);
  }

  function forgetCase() {
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch (e) {
      /* nothing stored */
    }
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  function rememberedCase() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (params.get("case") && params.get("token")) {
      return { code: params.get("case"), token: params.get("token") };
    }
    try {
      var stored = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
      if (stored && typeof stored.code === "string" && typeof stored.token === "string") return stored;
    } catch (e) {
      /* unreadable: start afresh */
    }
    return null;
  }

  function caseUrl(ref, suffix) {
    return "/api/cases/" + encodeURIComponent(ref.code) + (suffix || "") + "?token=" + encodeURIComponent(ref.token);
  }

  function statusGroup(status) {
    if (status === "awaiting_photo" || status === "awaiting_shipment") return "action";
    if (status === "resolved") return "done";
    if (status === "denied" || status === "cancelled") return "stopped";
    return "progress";
  }

  function addSummary(list, term, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(element("dt", null, term));
    list.appendChild(element("dd", null, value));
  }

  function renderCase(payload) {
    var c = payload.case;
    $("case-code").textContent = c.code;
    var badge = $("case-status");
    if (badge.textContent !== payload.status_text) badge.textContent = payload.status_text;
    badge.className = "status-badge status-" + statusGroup(c.status);
    badge.dataset.status = c.status;
    var next = $("case-next");
    if (next.textContent !== (payload.next_step || "")) next.textContent = payload.next_step || "";
    next.hidden = !payload.next_step;

    var summary = $("case-summary");
    summary.textContent = "";
    addSummary(summary, "Item", c.item);
    addSummary(summary, "Quantity", String(c.quantity));
    addSummary(summary, "Order", c.order);
    addSummary(summary, "You asked for", RESOLUTION_WORDS[c.requested_resolution] || c.requested_resolution);
    // A refund paid on delivery is owed by hand until the store pays it: never "Refunded" before.
    if (Number(c.owed_by_hand) > 0) addSummary(summary, "The store pays you back", formatMoney(c.owed_by_hand, c.currency));
    else if (Number(c.refunded) > 0) addSummary(summary, "Refunded", formatMoney(c.refunded, c.currency));
    if (Number(c.store_credit) > 0) addSummary(summary, "Store credit", formatMoney(c.store_credit, c.currency));
    var finished = FINAL_STATUSES.indexOf(c.status) >= 0;
    if (c.rma) addSummary(summary, finished ? "RMA" : "RMA (write it on the parcel)", c.rma);
    if (c.tracking_number) addSummary(summary, "Tracking number", c.tracking_number);

    var labelBox = $("case-label");
    if (payload.label_url) {
      var link = $("case-label-link");
      if (link.getAttribute("href") !== payload.label_url) link.setAttribute("href", payload.label_url);
      link.setAttribute("download", c.code + "-label.pdf");
      labelBox.hidden = false;
    } else {
      labelBox.hidden = true;
    }

    var photoForm = $("photo-form");
    if (photoForm.hidden === !!payload.needs_photo) {
      photoForm.hidden = !payload.needs_photo;
      if (payload.needs_photo) showNotice($("photo-error"), "");
    }

    var messages = Array.isArray(payload.messages) ? payload.messages : [];
    var key = JSON.stringify(messages);
    if (key !== state.messagesKey) {
      state.messagesKey = key;
      var list = $("case-messages");
      list.textContent = "";
      messages.forEach(function (text) {
        list.appendChild(element("li", "message", text));
      });
      $("case-no-messages").hidden = messages.length > 0;
    }
  }

  function drawIfNewest(seq, payload) {
    if (seq < state.shownSeq) return;
    state.shownSeq = seq;
    renderCase(payload);
  }

  function openCase(ref, payload) {
    stopPolling();
    state.ref = ref;
    state.messagesKey = "";
    state.seq += 1;
    state.shownSeq = 0;
    rememberCase(ref);
    showNotice($("case-error"), "");
    showNotice($("case-ok"), "");
    $("case-offline").hidden = true;
    $("photo-form").reset();
    if (payload) {
      drawIfNewest(state.seq, payload);
      schedulePoll();
    } else {
      poll();
    }
  }

  function stopPolling() {
    if (state.pollTimer) clearTimeout(state.pollTimer);
    state.pollTimer = null;
  }

  function schedulePoll() {
    stopPolling();
    var status = $("case-status").dataset.status;
    if (!state.ref || FINAL_STATUSES.indexOf(status) >= 0) return;
    state.pollTimer = setTimeout(poll, POLL_MS);
  }

  function poll() {
    state.pollTimer = null;
    var ref = state.ref;
    if (!ref) return;
    if (document.hidden) return; // resumed by visibilitychange
    var seq = ++state.seq;
    api(caseUrl(ref), { method: "GET" })
      .then(function (payload) {
        if (state.ref !== ref) return;
        $("case-offline").hidden = true;
        drawIfNewest(seq, payload);
        schedulePoll();
      })
      .catch(function (error) {
        if (state.ref !== ref) return;
        if (error.status === 404) {
          caseUnavailable(error.message);
          return;
        }
        $("case-offline").hidden = false;
        schedulePoll();
      });
  }

  function caseUnavailable(message) {
    stopPolling();
    state.ref = null;
    forgetCase();
    showStep("lookup", true);
    showNotice($("lookup-error"), message + " You can look up your order again to start a return.");
  }

  function onPhoto(event) {
    event.preventDefault();
    var form = event.currentTarget;
    var button = form.querySelector('button[type="submit"]');
    var input = $("case-photo");
    var errorBox = $("photo-error");
    var file = input.files && input.files[0];
    var problem = file ? photoProblem(file) : "Please choose a photo to upload.";
    markInvalid([input], problem ? [input] : []);
    if (problem) {
      showNotice(errorBox, problem);
      input.focus();
      return;
    }
    var ref = state.ref;
    var body = new FormData();
    body.append("photo", file, file.name || "photo.jpg");
    showNotice(errorBox, "");
    setBusy(button, true);
    var seq = ++state.seq;
    api(caseUrl(ref, "/photos"), { method: "POST", body: body })
      .then(function (payload) {
        if (state.ref !== ref) return;
        form.reset();
        showNotice($("case-ok"), "Thanks, we've got your photo.");
        drawIfNewest(seq, payload);
        schedulePoll();
      })
      .catch(function (error) {
        markInvalid([input], [input]);
        showNotice(errorBox, error.message);
      })
      .then(function () {
        setBusy(button, false);
      });
  }

  function onNewReturn() {
    stopPolling();
    state.ref = null;
    forgetCase();
    showNotice($("lookup-error"), "");
    showStep("lookup", true);
  }

  function onBack() {
    showNotice($("lookup-error"), "");
    showStep("lookup", true);
  }

  // -- start ------------------------------------------------------------------------------------

  function loadRemembered(moveFocus) {
    var ref = rememberedCase();
    if (!ref) return false;
    $("case-code").textContent = ref.code;
    $("case-status").textContent = "Loading…";
    $("case-status").dataset.status = "";
    showStep("case", moveFocus);
    openCase(ref, null);
    return true;
  }

  function start() {
    $("lookup-form").addEventListener("submit", onLookup);
    $("request-form").addEventListener("submit", onRequest);
    $("request-form").addEventListener("change", function (event) {
      if (event.target.name === "sku") syncQuantity();
      if (["sku", "reason", "resolution", "quantity"].indexOf(event.target.name) >= 0) {
        syncPhoto();
        requestPreview();
      }
      if (event.target.getAttribute("aria-invalid")) event.target.removeAttribute("aria-invalid");
    });
    $("photo-form").addEventListener("submit", onPhoto);
    $("request-back").addEventListener("click", onBack);
    $("case-new").addEventListener("click", onNewReturn);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && state.ref && !state.pollTimer && FINAL_STATUSES.indexOf($("case-status").dataset.status) < 0) poll();
    });
    window.addEventListener("hashchange", function () {
      var ref = rememberedCase();
      if (ref && (!state.ref || ref.code !== state.ref.code || ref.token !== state.ref.token)) {
        loadRemembered(true);
      }
    });
    loadRemembered(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
