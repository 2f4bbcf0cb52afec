import type { RequestContext } from "../request/context.ts";

/**
 * `GET /ui/enhance.js`: the built-in pages' only script, a progressive enhancement. Forms marked
 * `data-live-validation` are posted as JSON with `dry_run: true` a moment after the person stops
 * typing (docs/account-features.md, "Dry runs"), and the messages for the fields they touched
 * are shown in place (aria-invalid, aria-describedby, a polite live region). Nothing is saved;
 * the real submission is the plain form post, which works the same without this script.
 * A file rather than inline code, so the pages' CSP can forbid inline script.
 */
export const ENHANCE_JS = `"use strict";
(() => {
  const DELAY = 450;

  function setPath(target, name, value) {
    const keys = name.split(".");
    let obj = target;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i];
      if (typeof obj[k] !== "object" || obj[k] === null) obj[k] = {};
      obj = obj[k];
    }
    obj[keys[keys.length - 1]] = value;
  }

  function methodOf(form) {
    const buttons = [...form.querySelectorAll('button[name="method"]')];
    const preferred = buttons.find((b) => b.value === "password" || b.value === "profile");
    return (preferred || buttons[0] || {}).value;
  }

  function payload(form) {
    const body = { dry_run: true };
    const method = methodOf(form);
    if (method) body.method = method;
    for (const el of form.elements) {
      if (!el.name || el.disabled || el.name === "method") continue;
      if (el.type === "submit" || el.type === "button") continue;
      if (el.type === "checkbox") {
        if (el.checked) setPath(body, el.name, true);
        continue;
      }
      if (el.value === "") continue;
      setPath(body, el.name, el.value);
    }
    return body;
  }

  function messagesBox(field) {
    const id = field.id + "-live";
    let box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = "live-messages";
      box.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", box);
    }
    return box;
  }

  function show(form, field, messages) {
    const wrapper = field.closest(".field");
    // Messages from the last real submission are stale once the value changed.
    for (const old of wrapper ? wrapper.querySelectorAll(".message:not(.live-message)") : []) old.remove();
    const box = messagesBox(field);
    box.replaceChildren(
      ...messages.map((m, i) => {
        const p = document.createElement("p");
        p.id = box.id + "-" + i;
        p.className = "message live-message message--" + (m.type === "error" ? "error" : "info");
        p.dataset.messageId = String(m.id);
        p.textContent = m.text;
        return p;
      }),
    );
    const invalid = messages.some((m) => m.type === "error");
    if (invalid) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
    if (wrapper) wrapper.classList.toggle("field--invalid", invalid);
    const ids = messages.map((_, i) => box.id + "-" + i);
    if (ids.length > 0) field.setAttribute("aria-describedby", ids.join(" "));
    else field.removeAttribute("aria-describedby");
  }

  function enhance(form) {
    const touched = new Set();
    let timer;
    let sequence = 0;
    const status = document.createElement("p");
    status.className = "live-status visually-hidden";
    status.setAttribute("role", "status");
    form.prepend(status);

    async function validate() {
      const mine = ++sequence;
      form.setAttribute("aria-busy", "true");
      let flow;
      try {
        const res = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify(payload(form)),
        });
        flow = await res.json();
      } catch {
        return;
      } finally {
        if (mine === sequence) form.removeAttribute("aria-busy");
      }
      if (mine !== sequence || !flow || !flow.ui || !Array.isArray(flow.ui.nodes)) return;
      let errors = 0;
      for (const node of flow.ui.nodes) {
        const name = node.attributes && node.attributes.name;
        if (!name || !touched.has(name)) continue;
        const field = form.elements.namedItem(name);
        if (!field || !field.id) continue;
        const messages = (node.messages || []).filter((m) => m.type === "error");
        errors += messages.length;
        show(form, field, messages);
      }
      form.dataset.liveState = errors > 0 ? "invalid" : "valid";
      status.textContent = errors > 0 ? errors + (errors === 1 ? " field needs" : " fields need") + " attention." : "";
    }

    const touch = (event) => {
      const el = event.target;
      if (!el || !el.name || el.type === "hidden" || el.type === "submit") return;
      touched.add(el.name);
      clearTimeout(timer);
      timer = setTimeout(validate, DELAY);
    };
    form.addEventListener("input", touch);
    form.addEventListener("change", touch);
    form.addEventListener("submit", () => clearTimeout(timer));
  }

  function start() {
    for (const form of document.querySelectorAll("form[data-live-validation]")) enhance(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
`;

export function enhanceScript(ctx: RequestContext): Response {
  return new Response(ctx.req.method === "HEAD" ? null : ENHANCE_JS, {
    status: 200,
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
    },
  });
}
