/* ReturnBridge returns page: "don't know your order number?" — a one-time code lists the
   customer's orders; picking one fills the lookup form and finds it. No build step. */
(function () {
  "use strict";

  function $(id) {
    return document.getElementById(id);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          if (response.ok && data) return data;
          var problem = data && data.error;
          throw new Error(
            problem && problem.message ? problem.message : "Something went wrong. Please try again."
          );
        });
    });
  }

  function say(box, text) {
    box.textContent = text || "";
    box.hidden = !text;
  }

  function pick(order, contact) {
    $("lookup-order").value = order;
    $("lookup-email").value = contact;
    $("order-code").open = false;
    var form = $("lookup-form");
    if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", { cancelable: true }));
  }

  function showOrders(orders, contact) {
    var list = $("code-orders");
    list.textContent = "";
    if (!orders.length) {
      var none = document.createElement("li");
      none.textContent = "There are no orders for that address.";
      list.appendChild(none);
    }
    orders.forEach(function (order) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-link";
      button.textContent =
        "Order " + order.order + " of " + order.placed_on + ": " + order.items.join(", ");
      button.addEventListener("click", function () {
        pick(order.order, contact);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = false;
  }

  function start() {
    var ask = $("code-ask-form");
    var check = $("code-check-form");
    if (!ask || !check) return;
    var errorBox = $("code-error");
    ask.addEventListener("submit", function (event) {
      event.preventDefault();
      say(errorBox, "");
      var contact = $("code-contact").value.trim();
      if (!contact) {
        say(errorBox, "Please enter the email address (or phone) you ordered with.");
        return;
      }
      post("/api/returns/code", { contact: contact })
        .then(function (data) {
          say($("code-sent"), data.message);
          check.hidden = false;
          $("code-value").focus();
        })
        .catch(function (error) {
          say(errorBox, error.message);
        });
    });
    check.addEventListener("submit", function (event) {
      event.preventDefault();
      say(errorBox, "");
      var contact = $("code-contact").value.trim();
      post("/api/returns/code/orders", { contact: contact, code: $("code-value").value.trim() })
        .then(function (data) {
          showOrders(data.orders, contact);
        })
        .catch(function (error) {
          say(errorBox, error.message);
        });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
