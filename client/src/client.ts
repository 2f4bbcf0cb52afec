/**
 * The front-end client: the typed tRPC client plus what every front end otherwise writes by hand:
 * the CSRF token taken from the flow, flows of the right type for the chosen session mode, profile
 * updates that keep the traits you did not change, and results tagged by what to do next.
 */
import { createTRPCClient, type HTTPHeaders, httpBatchLink, type TRPCClient } from "@trpc/client";
import { isTesseraError, toTesseraError } from "./errors.ts";
import { type FlowMessages, messagesOf } from "./messages.ts";
import type { FlowResult, PublicRouter } from "./router.ts";
import { mergeTraits, type TraitsPatch } from "./traits.ts";
import type {
  AccountExport,
  ContinueWith,
  DeletionStatus,
  FlowType,
  HistoryInput,
  Identity,
  LoginFlow,
  LoginSuccess,
  PendingAddressChange,
  RecoveryFlow,
  RegistrationFlow,
  RegistrationSuccess,
  SecurityEvent,
  Session,
  SettingsBody,
  SettingsFlow,
  Traits,
  UiContainer,
  VerificationFlow,
} from "./wire.ts";

/** A fetch implementation (the global one by default): tests, server-side rendering, React Native. */
export type FetchLike = NonNullable<Parameters<typeof httpBatchLink>[0]["fetch"]>;

/** Where the session token of a native app comes from: a value, or a function asked before every call. */
export type SessionToken = string | (() => string | null | undefined | Promise<string | null | undefined>);

/**
 * How the client is signed in, chosen explicitly:
 * - `"cookie"`: browsers. The session cookie travels with every call (`credentials: "include"`), flows
 *   are browser flows and the client sends each flow's CSRF token for you.
 * - `{ token }`: Node, React Native, CLIs. Flows are api flows, no cookies; the token (from
 *   `login.submit`'s `sessionToken`) is sent as `X-Session-Token`.
 */
export type SessionMode = "cookie" | { token: SessionToken };

/**
 * `dryRun`: validate only (docs/account-features.md, "Dry runs"): the answer is the flow with its
 * field messages (`form`), and nothing is written.
 */
export interface SubmitOptions {
  dryRun?: boolean;
}

export interface TesseraClientOptions {
  /** Tessera's public base URL, e.g. `https://auth.example.com/` (the client calls `<url>/trpc`). */
  url: string;
  session: SessionMode;
  fetch?: FetchLike;
  /** Extra headers for every call, or a function returning them. */
  headers?: HTTPHeaders | (() => HTTPHeaders | Promise<HTTPHeaders>);
}

/** Where a flow continues with the verification of an address (a `show_verification_ui` step). */
export interface VerificationStep {
  flowId: string;
  address: string;
  url: string | undefined;
}

/** A flow to show again: validation problems, with the messages by field name (`traits.email`, `password`). */
export interface FormResult<F> {
  status: "form";
  flow: F;
  messages: FlowMessages;
}

export type RegistrationResult<T extends object> =
  | FormResult<RegistrationFlow>
  | {
      status: "success";
      identity: Identity<T>;
      /** When the `session` hook signed the new identity in. */
      session: Session<T> | undefined;
      /** api flows (token mode): the new session's token. */
      sessionToken: string | undefined;
      continueWith: ContinueWith[];
    }
  | {
      status: "verificationRequired";
      identity: Identity<T>;
      session: Session<T> | undefined;
      sessionToken: string | undefined;
      verification: VerificationStep;
      continueWith: ContinueWith[];
    };

export type LoginResult<T extends object> =
  | FormResult<LoginFlow>
  | {
      status: "success";
      session: Session<T>;
      /** api flows (token mode): store it and hand it to the client's `session.token`. */
      sessionToken: string | undefined;
      continueWith: ContinueWith[];
    };

export type SettingsResult<T extends object> =
  | FormResult<SettingsFlow<T>>
  /** Saved: the flow in state `success` (message 1050001). */
  | { status: "success"; flow: SettingsFlow<T> }
  /**
   * The change needs a fresher sign-in. Browsers go to `redirectTo` (Tessera's refresh login); the
   * submission is kept and applied after it. Native apps sign in again with `login.create({ refresh: true })`.
   */
  | { status: "refreshRequired"; redirectTo: string }
  /** Saved, and an address changed that must now be verified. */
  | { status: "verificationRequired"; flow: SettingsFlow<T>; verification: VerificationStep };

/**
 * A verification step: the flow again (`state` `sent_email` after a code was sent, `passed_challenge`
 * once the address is verified), with its messages by field name.
 */
export type VerificationResult = FormResult<VerificationFlow>;

export type RecoveryResult =
  | FormResult<RecoveryFlow>
  /**
   * The code was right: the person is signed in (cookie mode: the cookie is set; token mode: store
   * `sessionToken`) and continues in the settings flow `settingsFlowId` to set a new password.
   */
  | {
      status: "success";
      flow: RecoveryFlow;
      settingsFlowId: string | undefined;
      sessionToken: string | undefined;
      continueWith: ContinueWith[];
    };

export type DeletionResult =
  /** Scheduled for `due_at`; every session has ended. Signing in before `due_at` cancels. */
  | { status: "scheduled"; deletion: DeletionStatus }
  /** Deleting needs a fresh sign-in, as privileged settings changes do. */
  | { status: "refreshRequired"; redirectTo: string };

export interface CreateFlowOptions {
  /** Where Tessera sends the browser when the flow is done (must be an allowed return URL). */
  returnTo?: string;
}

export interface CreateLoginOptions extends CreateFlowOptions {
  /** Sign in again although signed in (the refresh a privileged change asks for). */
  refresh?: boolean;
  aal?: "aal1" | "aal2";
}

export interface RegistrationInput<T extends object> {
  traits: T;
  password: string;
  transientPayload?: Record<string, unknown>;
}

export interface LoginInput {
  identifier: string;
  password: string;
  transientPayload?: Record<string, unknown>;
}

export interface TesseraClient<T extends object = Traits> {
  /** `"browser"` in cookie mode, `"api"` in token mode: the type of every flow this client creates. */
  readonly flowType: FlowType;
  /** The typed tRPC client underneath, for anything the helpers do not cover. */
  readonly trpc: TRPCClient<PublicRouter<T>>;
  readonly registration: {
    create(options?: CreateFlowOptions): Promise<RegistrationFlow>;
    get(id: string): Promise<RegistrationFlow>;
    submit(flow: RegistrationFlow, input: RegistrationInput<T>): Promise<RegistrationResult<T>>;
  };
  readonly login: {
    create(options?: CreateLoginOptions): Promise<LoginFlow>;
    get(id: string): Promise<LoginFlow>;
    submit(flow: LoginFlow, input: LoginInput): Promise<LoginResult<T>>;
  };
  readonly settings: {
    create(options?: CreateFlowOptions): Promise<SettingsFlow<T>>;
    get(id: string): Promise<SettingsFlow<T>>;
    /**
     * Changes some traits and keeps the others: sends the flow identity's traits with `patch` merged
     * in (objects merge key by key; arrays and values replace; `undefined` removes an optional trait).
     */
    updateProfile(
      flow: SettingsFlow<T>,
      patch: TraitsPatch<T>,
      options?: SubmitOptions,
    ): Promise<SettingsResult<T>>;
    changePassword(
      flow: SettingsFlow<T>,
      password: string,
      options?: SubmitOptions,
    ): Promise<SettingsResult<T>>;
    /** Any settings body; the CSRF token is filled in from the flow. */
    submit(flow: SettingsFlow<T>, body: SettingsBody<T>, options?: SubmitOptions): Promise<SettingsResult<T>>;
  };
  readonly verification: {
    create(options?: CreateFlowOptions): Promise<VerificationFlow>;
    get(id: string): Promise<VerificationFlow>;
    /** Sends a code (or link, as the server is configured) to `email`. */
    sendCode(flow: VerificationFlow, email: string): Promise<VerificationResult>;
    /** Uses the code from the message; the flow's state becomes `passed_challenge`. */
    useCode(flow: VerificationFlow, code: string): Promise<VerificationResult>;
  };
  readonly recovery: {
    create(options?: CreateFlowOptions): Promise<RecoveryFlow>;
    get(id: string): Promise<RecoveryFlow>;
    /** Sends a recovery code to `email` (unknown addresses are answered the same way). */
    sendCode(flow: RecoveryFlow, email: string): Promise<RecoveryResult>;
    useCode(flow: RecoveryFlow, code: string): Promise<RecoveryResult>;
  };
  readonly account: {
    /** The signed-in person's security history, newest first. */
    history(options?: HistoryInput): Promise<SecurityEvent[]>;
    /** Everything kept about the signed-in person (404 unless `account.export.enabled`). */
    export(): Promise<AccountExport<T>>;
    deletionStatus(): Promise<DeletionStatus>;
    /** Schedules the account's deletion (the confirmation words are sent for you). */
    requestDeletion(): Promise<DeletionResult>;
    /** The address change waiting for its new address to be verified, or `null`. */
    pendingAddressChange(): Promise<PendingAddressChange | null>;
    /** Cancels it; `false` when nothing was pending. */
    cancelPendingAddressChange(): Promise<boolean>;
  };
  readonly session: {
    /** The current session, or `null` when there is none (401 `session_inactive`). */
    whoami(): Promise<Session<T> | null>;
    /** Signs out: clears the cookie (cookie mode) or revokes the token (token mode). */
    logout(): Promise<void>;
    /** The other active sessions of the signed-in identity. */
    list(): Promise<Session<T>[]>;
    revoke(id: string): Promise<void>;
    revokeOthers(): Promise<{ count: number }>;
  };
}

/**
 * A call's result as the wire types declare it. tRPC types results through its JSON serialisation,
 * which it cannot simplify for a traits type still generic here; the wire types are JSON already.
 */
type Wire<R> = R;

function trpcUrl(base: string): string {
  return new URL("trpc", base.endsWith("/") ? base : `${base}/`).toString();
}

/** The CSRF token a browser flow carries in its `csrf_token` node (api flows have none). */
export function csrfTokenOf(flow: { ui: UiContainer }): string | undefined {
  for (const node of flow.ui.nodes) {
    const a = node.attributes;
    if (a.node_type === "input" && a.name === "csrf_token" && typeof a.value === "string") return a.value;
  }
  return undefined;
}

function verificationOf(continueWith: readonly ContinueWith[] | undefined): VerificationStep | undefined {
  for (const step of continueWith ?? []) {
    if (step.action === "show_verification_ui") {
      return { flowId: step.flow.id, address: step.flow.verifiable_address, url: step.flow.url };
    }
  }
  return undefined;
}

/** The method of a verification or recovery flow: the one its form offers (`code` or `link`). */
function oneTimeMethodOf(flow: { ui: UiContainer }): "code" | "link" {
  for (const node of flow.ui.nodes) {
    const a = node.attributes;
    if (a.node_type === "input" && a.name === "method" && (a.value === "code" || a.value === "link")) {
      return a.value;
    }
  }
  return "code";
}

function form<F extends { ui: UiContainer }>(flow: F): FormResult<F> {
  return { status: "form", flow, messages: messagesOf(flow) };
}

/** Runs a call, turning the server's errors into TesseraErrors. */
async function call<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    throw toTesseraError(err);
  }
}

/**
 * Creates a client. `T` is your identity schema's traits type (`npm run types` writes it):
 *
 * ```ts
 * const tessera = createTesseraClient<DefaultTraits>({ url: "https://auth.example.com/", session: "cookie" });
 * ```
 */
export function createTesseraClient<T extends object = Traits>(
  options: TesseraClientOptions,
): TesseraClient<T> {
  const mode = options.session;
  if (mode !== "cookie" && (typeof mode !== "object" || mode === null || !("token" in mode))) {
    throw new TypeError(
      'createTesseraClient: `session` must be "cookie" (browsers) or { token } (native apps)',
    );
  }
  const cookie = mode === "cookie";
  const flowType: FlowType = cookie ? "browser" : "api";
  const baseFetch = options.fetch;
  const fetchImpl: FetchLike = cookie
    ? // Cookies cross origins only with credentials: "include" (and Tessera's CORS allowing the origin).
      (input, init) => (baseFetch ?? globalThis.fetch)(input as string, { ...init, credentials: "include" })
    : (input, init) => (baseFetch ?? globalThis.fetch)(input as string, { ...init, credentials: "omit" });

  const headers = async (): Promise<HTTPHeaders> => {
    const extra = typeof options.headers === "function" ? await options.headers() : (options.headers ?? {});
    if (cookie) return extra;
    const token = typeof mode.token === "function" ? await mode.token() : mode.token;
    return token ? { ...extra, "x-session-token": token } : extra;
  };

  const trpc = createTRPCClient<PublicRouter<T>>({
    links: [httpBatchLink({ url: trpcUrl(options.url), fetch: fetchImpl, headers })],
  });

  const withCsrf = <B extends object>(flow: { ui: UiContainer }, body: B): B => {
    const csrf_token = csrfTokenOf(flow);
    return csrf_token === undefined ? body : { ...body, csrf_token };
  };

  const settingsResult = (raw: FlowResult<SettingsFlow<T>, SettingsFlow<T>>): SettingsResult<T> => {
    if (raw.status === "form") return form(raw.flow);
    const { status: _status, ...flow } = raw;
    const verification = verificationOf(flow.continue_with);
    return verification
      ? { status: "verificationRequired", flow, verification }
      : { status: "success", flow };
  };

  const submitSettings = async (
    flow: SettingsFlow<T>,
    body: SettingsBody<T>,
    options: SubmitOptions = {},
  ): Promise<SettingsResult<T>> => {
    try {
      const raw = (await trpc.settings.submit.mutate({
        flow: flow.id,
        body: withCsrf(flow, body),
        ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
      })) as unknown as Wire<FlowResult<SettingsFlow<T>, SettingsFlow<T>>>;
      return settingsResult(raw);
    } catch (err) {
      const error = toTesseraError(err);
      if (isTesseraError(error, "session_refresh_required")) {
        return { status: "refreshRequired", redirectTo: error.redirectTo };
      }
      throw error;
    }
  };

  const verify = (flow: VerificationFlow, fields: { email: string } | { code: string }) =>
    call(async (): Promise<VerificationResult> => {
      const body = withCsrf(flow, { method: oneTimeMethodOf(flow), ...fields });
      const raw = await trpc.verification.submit.mutate({ flow: flow.id, body });
      if (raw.status === "form") return form(raw.flow);
      const { status: _status, ...next } = raw;
      return form(next);
    });

  const recover = (flow: RecoveryFlow, fields: { email: string } | { code: string }) =>
    call(async (): Promise<RecoveryResult> => {
      const body = withCsrf(flow, { method: oneTimeMethodOf(flow), ...fields });
      const raw = await trpc.recovery.submit.mutate({ flow: flow.id, body });
      if (raw.status === "form") return form(raw.flow);
      const { status: _status, ...next } = raw;
      const continueWith = next.continue_with ?? [];
      let settingsFlowId: string | undefined;
      let sessionToken: string | undefined;
      for (const step of continueWith) {
        if (step.action === "show_settings_ui") settingsFlowId = step.flow.id;
        if (step.action === "set_ory_session_token") sessionToken = step.ory_session_token;
      }
      return { status: "success", flow: next, settingsFlowId, sessionToken, continueWith };
    });

  return {
    flowType,
    trpc,
    verification: {
      create: (o = {}) => call(() => trpc.verification.create.mutate({ type: flowType, ...o })),
      get: (id) => call(() => trpc.verification.get.query({ id })),
      sendCode: (flow, email) => verify(flow, { email }),
      useCode: (flow, code) => verify(flow, { code }),
    },
    recovery: {
      create: (o = {}) => call(() => trpc.recovery.create.mutate({ type: flowType, ...o })),
      get: (id) => call(() => trpc.recovery.get.query({ id })),
      sendCode: (flow, email) => recover(flow, { email }),
      useCode: (flow, code) => recover(flow, { code }),
    },
    account: {
      history: (options) => call(() => trpc.account.history.query(options)),
      export: () => call(() => trpc.account.export.query() as unknown as Wire<Promise<AccountExport<T>>>),
      deletionStatus: () => call(() => trpc.account.deletion.status.query()),
      pendingAddressChange: async () => (await call(() => trpc.account.pendingAddressChange.query())).pending,
      cancelPendingAddressChange: async () =>
        (await call(() => trpc.account.cancelPendingAddressChange.mutate())).cancelled,
      requestDeletion: async () => {
        try {
          const deletion = await trpc.account.deletion.request.mutate({ confirm: "delete my account" });
          return { status: "scheduled", deletion };
        } catch (err) {
          const error = toTesseraError(err);
          if (isTesseraError(error, "session_refresh_required")) {
            return { status: "refreshRequired", redirectTo: error.redirectTo };
          }
          throw error;
        }
      },
    },
    registration: {
      create: (o = {}) => call(() => trpc.registration.create.mutate({ type: flowType, ...o })),
      get: (id) => call(() => trpc.registration.get.query({ id })),
      submit: (flow, input) =>
        call(async () => {
          const body = withCsrf(flow, {
            method: "password" as const,
            traits: input.traits,
            password: input.password,
            ...(input.transientPayload ? { transient_payload: input.transientPayload } : {}),
          });
          const raw = (await trpc.registration.submit.mutate({ flow: flow.id, body })) as unknown as Wire<
            FlowResult<RegistrationFlow, RegistrationSuccess<T>>
          >;
          if (raw.status === "form") return form(raw.flow);
          const done = {
            identity: raw.identity,
            session: raw.session,
            sessionToken: raw.session_token,
            continueWith: raw.continue_with,
          };
          const verification = verificationOf(raw.continue_with);
          return verification
            ? { status: "verificationRequired" as const, ...done, verification }
            : { status: "success" as const, ...done };
        }),
    },
    login: {
      create: (o = {}) => call(() => trpc.login.create.mutate({ type: flowType, ...o })),
      get: (id) => call(() => trpc.login.get.query({ id })),
      submit: (flow, input) =>
        call(async () => {
          const body = withCsrf(flow, {
            method: "password" as const,
            identifier: input.identifier,
            password: input.password,
            ...(input.transientPayload ? { transient_payload: input.transientPayload } : {}),
          });
          const raw = (await trpc.login.submit.mutate({ flow: flow.id, body })) as unknown as Wire<
            FlowResult<LoginFlow, LoginSuccess<T>>
          >;
          if (raw.status === "form") return form(raw.flow);
          return {
            status: "success" as const,
            session: raw.session,
            sessionToken: raw.session_token,
            continueWith: raw.continue_with,
          };
        }),
    },
    settings: {
      create: (o = {}) =>
        call(
          () =>
            trpc.settings.create.mutate({ type: flowType, ...o }) as unknown as Wire<
              Promise<SettingsFlow<T>>
            >,
        ),
      get: (id) => call(() => trpc.settings.get.query({ id }) as unknown as Wire<Promise<SettingsFlow<T>>>),
      updateProfile: (flow, patch, options) =>
        submitSettings(
          flow,
          { method: "profile", traits: mergeTraits(flow.identity.traits, patch) },
          options,
        ),
      changePassword: (flow, password, options) =>
        submitSettings(flow, { method: "password", password }, options),
      submit: submitSettings,
    },
    session: {
      whoami: async () => {
        try {
          return (await trpc.session.whoami.query()) as unknown as Wire<Session<T>>;
        } catch (err) {
          const error = toTesseraError(err);
          if (isTesseraError(error, "session_inactive")) return null;
          throw error;
        }
      },
      logout: () =>
        call(async () => {
          if (cookie) return trpc.session.logout.mutate();
          const token = typeof mode.token === "function" ? await mode.token() : mode.token;
          return trpc.session.logout.mutate(token ? { sessionToken: token } : undefined);
        }),
      list: () => call(() => trpc.session.list.query() as unknown as Wire<Promise<Session<T>[]>>),
      revoke: (id) => call(() => trpc.session.revoke.mutate({ id })),
      revokeOthers: () => call(() => trpc.session.revokeOthers.mutate()),
    },
  };
}
