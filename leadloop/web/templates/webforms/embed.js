/* leadloop web form: renders the form where this script is included and sends it with
   fetch; the answer is shown in place. Put data-target="ID" on the script tag to render
   into the element with that id instead. */
(function () {
  "use strict";
  var config = {{ config|safe }};
  var script = document.currentScript;

  function el(tag, props) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) { node[k] = props[k]; });
    return node;
  }

  var form = el("form", { className: "leadloop-form", noValidate: true });
  form.setAttribute("data-leadloop-form", config.key);
  var errors = {};
  var banner = el("p", { className: "leadloop-alert", hidden: true });
  banner.setAttribute("role", "alert");
  form.appendChild(banner);

  config.fields.forEach(function (f, i) {
    var id = "leadloop-" + config.key + "-" + i;
    var row = el("p", { className: "leadloop-row" });
    var label = el("label", { htmlFor: id, textContent: f.label + (f.required ? " *" : "") });
    var input = el("input", { id: id, name: f.name, type: f.type, required: f.required });
    var error = el("span", { className: "leadloop-error" });
    error.setAttribute("data-field", f.name);
    errors[f.name] = error;
    row.appendChild(label);
    row.appendChild(input);
    row.appendChild(error);
    form.appendChild(row);
  });

  if (config.consent) {
    var row = el("p", { className: "leadloop-row leadloop-consent" });
    var label = el("label");
    var box = el("input", { type: "checkbox", name: config.consentField, value: "yes" });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + config.consent));
    var error = el("span", { className: "leadloop-error" });
    error.setAttribute("data-field", config.consentField);
    errors[config.consentField] = error;
    row.appendChild(label);
    row.appendChild(error);
    form.appendChild(row);
  }

  // The honeypot: off-screen, out of the tab order, hidden from screen readers.
  var trap = el("div");
  trap.setAttribute("aria-hidden", "true");
  trap.style.position = "absolute";
  trap.style.left = "-10000px";
  trap.style.width = "1px";
  trap.style.height = "1px";
  trap.style.overflow = "hidden";
  trap.appendChild(el("input", { type: "text", name: config.honeypot, tabIndex: -1, autocomplete: "off" }));
  form.appendChild(trap);

  var button = el("button", { type: "submit", textContent: "Send" });
  form.appendChild(el("p")).appendChild(button);

  var target = script && script.getAttribute("data-target");
  var host = target ? document.getElementById(target) : null;
  if (host) {
    host.appendChild(form);
  } else if (script && script.parentNode) {
    script.parentNode.insertBefore(form, script.nextSibling);
  } else {
    document.body.appendChild(form);
  }

  function show(answer) {
    Object.keys(errors).forEach(function (k) { errors[k].textContent = ""; });
    banner.hidden = true;
    var problems = answer.errors || {};
    Object.keys(problems).forEach(function (k) {
      if (errors[k]) {
        errors[k].textContent = problems[k];
      } else {
        banner.textContent = problems[k];
        banner.hidden = false;
      }
    });
    if (answer.detail) {
      banner.textContent = answer.detail;
      banner.hidden = false;
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    Array.prototype.forEach.call(form.elements, function (input) {
      if (!input.name) { return; }
      body[input.name] = input.type === "checkbox" ? (input.checked ? "yes" : "") : input.value;
    });
    body[config.stampField] = config.stamp;
    body[config.referrerField] = window.location.href;
    var query = new URLSearchParams(window.location.search);
    config.utm.forEach(function (k) { if (query.get(k)) { body[k] = query.get(k); } });
    button.disabled = true;
    fetch(config.action, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) { return answer; }, function () {
        return { ok: false, detail: "The form could not be sent (" + response.status + ")." };
      });
    }).then(function (answer) {
      button.disabled = false;
      if (answer.stamp) { config.stamp = answer.stamp; }
      if (answer.ok && answer.redirect_url) {
        window.location.assign(answer.redirect_url);
      } else if (answer.ok) {
        var thanks = el("p", { className: "leadloop-thanks", textContent: answer.message });
        thanks.setAttribute("role", "status");
        form.replaceWith(thanks);
      } else {
        show(answer);
      }
    }, function () {
      button.disabled = false;
      show({ detail: "The form could not be sent; please try again." });
    });
  });
})();
