/**
 * A small React front end on the packed @tessera/client, as a front-end developer would write it:
 * traits typed from the identity schema (`npm run types`), cookie sessions, the two hooks. It signs
 * up through the client, changes one trait, changes the password (through Tessera's refresh login
 * when the session is too old) and signs out.
 */
import { createTesseraClient, type FlowMessages, isTesseraError } from "@tessera/client";
import { useSession, useSettingsFlow } from "@tessera/client/react";
import { type FormEvent, StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import type { DefaultTraits } from "./generated/traits.js";
import { defaultTraits } from "./generated/traits.zod.js";

const url = document.querySelector<HTMLMetaElement>('meta[name="tessera-public-url"]')?.content ?? "";
const tessera = createTesseraClient<DefaultTraits>({ url, session: "cookie" });

function field(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement).value;
}

function Messages({ messages, name }: { messages: FlowMessages | undefined; name?: string }) {
  const list = messages ? (name ? (messages.byField[name] ?? []) : messages.global) : [];
  return (
    <ul data-testid={`messages-${name ?? "global"}`}>
      {list.map((m) => (
        <li key={m.id} data-message-id={m.id}>
          {m.text}
        </li>
      ))}
    </ul>
  );
}

function SignUp({ onSignedUp }: { onSignedUp: () => void }) {
  const [messages, setMessages] = useState<FlowMessages>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const flow = await tessera.registration.create();
    // The generated zod schema checks the traits before they are sent.
    const traits = defaultTraits.parse({
      email: field(form, "email"),
      name: { first: field(form, "first"), last: field(form, "last") },
    });
    const result = await tessera.registration.submit(flow, { traits, password: field(form, "password") });
    if (result.status === "form") setMessages(result.messages);
    else onSignedUp();
  };
  return (
    <form aria-label="Sign up" onSubmit={submit}>
      <input name="email" aria-label="E-Mail" />
      <input name="first" aria-label="First name" />
      <input name="last" aria-label="Last name" />
      <input name="password" type="password" aria-label="Password" />
      <button type="submit">Sign up</button>
      <Messages messages={messages} name="traits.email" />
      <Messages messages={messages} />
    </form>
  );
}

function Settings({ onSignedOut }: { onSignedOut: () => void }) {
  const flowId = new URLSearchParams(location.search).get("flow");
  const settings = useSettingsFlow(tessera, {
    flowId,
    onFlow: (id) => history.replaceState(null, "", `?flow=${id}`),
  });
  const { flow, result } = settings;
  if (!flow) return <p>Loading…</p>;
  const traits = flow.identity.traits;
  const messages =
    result && result.status !== "refreshRequired" && "messages" in result ? result.messages : undefined;
  return (
    <section>
      <dl>
        <dt>E-Mail</dt>
        <dd data-testid="email">{traits.email}</dd>
        <dt>First name</dt>
        <dd data-testid="first">{traits.name?.first ?? ""}</dd>
        <dt>Last name</dt>
        <dd data-testid="last">{traits.name?.last ?? ""}</dd>
      </dl>
      <p data-testid="flow-state">{flow.state}</p>
      <p data-testid="result">{result?.status ?? "none"}</p>
      <form
        aria-label="First name"
        onSubmit={(e) => {
          e.preventDefault();
          void settings.updateProfile({ name: { first: field(e.currentTarget, "first") } });
        }}
      >
        <input name="first" aria-label="New first name" />
        <button type="submit">Save first name</button>
      </form>
      <form
        aria-label="Password"
        onSubmit={(e) => {
          e.preventDefault();
          void settings.changePassword(field(e.currentTarget, "password"));
        }}
      >
        <input name="password" type="password" aria-label="New password" />
        <button type="submit">Change password</button>
        <Messages messages={messages} name="password" />
      </form>
      <button
        type="button"
        onClick={async () => {
          await tessera.session.logout();
          history.replaceState(null, "", location.pathname);
          onSignedOut();
        }}
      >
        Sign out
      </button>
    </section>
  );
}

function App() {
  const { session, loading, error, refresh } = useSession(tessera);
  if (loading && session === undefined) return <p>Loading…</p>;
  if (error) return <p role="alert">{isTesseraError(error) ? error.id : String(error)}</p>;
  if (!session) return <SignUp onSignedUp={() => void refresh()} />;
  return (
    <main>
      <p>
        Signed in as <strong data-testid="signed-in-as">{session.identity.traits.email}</strong>
      </p>
      <Settings onSignedOut={() => void refresh()} />
    </main>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
