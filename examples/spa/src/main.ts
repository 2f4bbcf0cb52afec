/**
 * A single-page account-settings app on Tessera's typed tRPC client.
 *
 * - On load: `settings.get` for `?flow=` (how Tessera sends the browser back here, e.g. after a
 *   refresh login), else `settings.create({ type: "browser" })`; no session sends the browser to
 *   Tessera's built-in sign-in page with `return_to` pointing back here.
 * - Submit: `settings.submit` (the client adds the flow's CSRF token). A `form` result re-renders
 *   the flow with its field messages; `success` shows "Your changes have been saved!";
 *   `refreshRequired` sends the browser to the refresh login, after which Tessera applies the change
 *   and comes back to this page with `?flow=`.
 *
 * The client is `@tessera/client` as a front end installs it (`npm install @tessera/client`); in this
 * repository the name resolves to client/src through tsconfig.json's `paths`. Cookies (session,
 * CSRF) travel because the client is in cookie mode (`credentials: "include"`) and Tessera's CORS
 * allows this origin with credentials; the app and Tessera must share a host name.
 */
import { createTesseraClient, isTesseraError } from "@tessera/client";
import {
  el,
  notice,
  renderGlobalMessages,
  renderGroupForms,
  type SettingsFlow,
  traitsFromForm,
} from "./render.ts";

const publicUrl =
  document.querySelector<HTMLMetaElement>('meta[name="tessera-public-url"]')?.content ||
  "http://127.0.0.1:4433/";
const tessera = createTesseraClient({ url: publicUrl, session: "cookie" });
/** This page without its query: where Tessera should send the browser back to. */
const appUrl = `${location.origin}${location.pathname}`;

const main = document.getElementById("app")!;
const who = document.getElementById("who")!;
const signOut = document.getElementById("sign-out") as HTMLButtonElement;

let current: SettingsFlow | undefined;

function tesseraUrl(path: string, query: Record<string, string> = {}): string {
  const u = new URL(path, publicUrl);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

/** Tessera's browser sign-in (its built-in page), returning here afterwards. */
const signInUrl = () => tesseraUrl("self-service/login/browser", { return_to: appUrl });

function setFlowInUrl(id: string | undefined): void {
  const u = new URL(location.href);
  if (id) u.searchParams.set("flow", id);
  else u.searchParams.delete("flow");
  history.replaceState(null, "", u);
}

function show(flow: SettingsFlow, extra?: HTMLElement): void {
  current = flow;
  const email = (flow.identity.traits as { email?: unknown }).email;
  who.textContent = typeof email === "string" ? email : flow.identity.id;
  who.parentElement!.hidden = false;
  const children: (HTMLElement | undefined)[] = [
    el("h1", {}, "Account settings"),
    extra,
    renderGlobalMessages(flow.ui.messages),
    ...renderGroupForms(flow),
  ];
  main.replaceChildren(...children.filter((c): c is HTMLElement => c !== undefined));
  main.setAttribute("aria-busy", "false");
  for (const form of main.querySelectorAll("form")) form.addEventListener("submit", onSubmit);
}

function showProblem(text: string, action?: { label: string; href: string }): void {
  main.replaceChildren(
    el("h1", {}, "Account settings"),
    notice("error", text),
    ...(action ? [el("p", {}, el("a", { href: action.href, class: "button" }, action.label))] : []),
  );
  main.setAttribute("aria-busy", "false");
}

/** Shows a failed call, or navigates away (sign-in), or loads a replacement flow. */
async function handleError(err: unknown): Promise<void> {
  if (!isTesseraError(err)) {
    showProblem(`Tessera at ${publicUrl} could not be reached. Is it running?`, {
      label: "Try again",
      href: appUrl,
    });
    return;
  }
  if (err.id === "session_inactive" || err.status === 401) {
    window.location.href = signInUrl();
    return;
  }
  if (isTesseraError(err, "self_service_flow_expired")) {
    // Tessera made a replacement flow carrying the "expired" message; show that one.
    setFlowInUrl(err.useFlowId);
    await load();
    return;
  }
  if (err.id === "security_csrf_violation") {
    showProblem("This form was opened in another browser session or your cookies were cleared.", {
      label: "Start again",
      href: appUrl,
    });
    return;
  }
  showProblem(err.error.reason ?? err.error.message, { label: "Start again", href: appUrl });
}

async function load(): Promise<void> {
  main.setAttribute("aria-busy", "true");
  const id = new URLSearchParams(location.search).get("flow");
  if (id) {
    try {
      show(await tessera.settings.get(id));
      return;
    } catch (err) {
      // Unknown, expired or someone else's flow: start a fresh one instead.
      const fresh =
        isTesseraError(err) &&
        (err.status === 404 || err.status === 410 || err.id === "security_identity_mismatch");
      if (!fresh) return handleError(err);
      setFlowInUrl(undefined);
    }
  }
  try {
    const flow = await tessera.settings.create();
    setFlowInUrl(flow.id);
    show(flow);
  } catch (err) {
    await handleError(err);
  }
}

function setBusy(form: HTMLFormElement, busy: boolean): void {
  form.setAttribute("aria-busy", String(busy));
  for (const b of form.querySelectorAll("button")) b.disabled = busy;
}

async function onSubmit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const flow = current;
  if (!flow) return;
  const submitter = event.submitter as HTMLButtonElement | null;
  const method = submitter?.value || form.dataset.group;
  setBusy(form, true);
  try {
    // The profile form holds every trait, so it is sent whole (an emptied field clears its trait);
    // the client adds the flow's CSRF token.
    const result =
      method === "profile"
        ? await tessera.settings.submit(flow, { method, traits: traitsFromForm(form, flow) })
        : method === "password"
          ? await tessera.settings.changePassword(
              flow,
              (form.elements.namedItem("password") as HTMLInputElement | null)?.value ?? "",
            )
          : undefined;
    if (!result) return setBusy(form, false);
    if (result.status === "refreshRequired") {
      // Tessera kept the submission; after the refresh login it applies it and sends the browser to
      // the settings ui_url (this page) with ?flow=, where settings.get shows the saved state.
      window.location.href = result.redirectTo;
      return;
    }
    // `form` (400): the same flow with messages under the fields, holding the values just sent;
    // `success`: the flow in state "success" carrying message 1050001.
    show(result.flow);
    // Move focus to the first problem, or to the message, so keyboard and screen-reader users learn the result.
    const problem = main.querySelector<HTMLElement>('[aria-invalid="true"]');
    const message = main.querySelector<HTMLElement>(".global-messages [role]");
    if (problem) problem.focus();
    else if (message) {
      message.tabIndex = -1;
      message.focus();
    }
  } catch (err) {
    setBusy(form, false);
    await handleError(err);
  }
}

signOut.addEventListener("click", async () => {
  signOut.disabled = true;
  try {
    await tessera.session.logout();
  } catch (err) {
    // Already signed out is fine; anything else is shown.
    if (!isTesseraError(err, "session_inactive") && !(isTesseraError(err) && err.status === 401)) {
      signOut.disabled = false;
      return handleError(err);
    }
  }
  window.location.href = signInUrl();
});

void load();
