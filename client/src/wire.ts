/**
 * The wire types a front end sees, written out as plain TypeScript (no zod, no server modules) so the
 * package's declarations type-check in any project: `strict` on or off, with or without
 * `DOM.Iterable`, without the server's libraries installed. They mirror the zod schemas in the
 * repository's `shared/` folder; tests/client/wire-types.test.ts fails when the two drift apart.
 *
 * Everything that carries identity traits is generic over them (`T`): pass the type that
 * `npm run types` generates from your identity schema to get `flow.identity.traits.name.first`
 * typed, and a misspelt trait rejected by the compiler.
 */

/** Traits when no schema type is given: any JSON object. */
export type Traits = Record<string, unknown>;

/** A user-facing message: numeric id from Kratos's catalog, its text, type and context. */
export interface UiText {
  id: number;
  text: string;
  type: "info" | "error" | "success";
  context?: Record<string, unknown>;
}

export type NodeGroup =
  | "default"
  | "password"
  | "oidc"
  | "profile"
  | "link"
  | "code"
  | "totp"
  | "lookup_secret"
  | "webauthn"
  | "passkey"
  | "identifier_first"
  | "captcha"
  | "saml"
  | "deviceauthn";

export interface InputAttributes {
  name: string;
  type: string;
  value?: unknown;
  required?: boolean;
  autocomplete?: string;
  label?: UiText;
  pattern?: string;
  disabled: boolean;
  maxlength?: number;
  options?: { value?: unknown }[];
  onclickTrigger?: string;
  onloadTrigger?: string;
  node_type: "input";
}

export interface TextAttributes {
  text: UiText;
  id: string;
  node_type: "text";
}

export interface ImageAttributes {
  src: string;
  id: string;
  width: number;
  height: number;
  node_type: "img";
}

export interface AnchorAttributes {
  href: string;
  title: UiText;
  id: string;
  node_type: "a";
}

export type NodeAttributes = InputAttributes | TextAttributes | ImageAttributes | AnchorAttributes;

export interface UiNode {
  type: "input" | "text" | "img" | "a" | "script" | "div";
  group: NodeGroup;
  attributes: NodeAttributes;
  messages: UiText[];
  meta: { label?: UiText };
}

export interface UiContainer {
  action: string;
  method: string;
  nodes: UiNode[];
  messages?: UiText[];
}

export interface VerifiableAddress {
  id: string;
  value: string;
  verified: boolean;
  via: string;
  status: string;
  verified_at?: string;
  created_at: string;
  updated_at: string;
}

export interface RecoveryAddress {
  id: string;
  value: string;
  via: string;
  created_at: string;
  updated_at: string;
}

export interface Credential {
  type: string;
  identifiers: string[];
  config?: unknown;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The identity as Kratos serialises it; `traits` follow the identity schema. */
export interface Identity<T extends object = Traits> {
  id: string;
  schema_id: string;
  schema_url: string;
  state: "active" | "inactive";
  state_changed_at?: string;
  traits: T;
  verifiable_addresses?: VerifiableAddress[];
  recovery_addresses?: RecoveryAddress[];
  metadata_public?: unknown;
  metadata_admin?: unknown;
  credentials?: Record<string, Credential>;
  external_id?: string;
  created_at: string;
  updated_at: string;
  organization_id: string | null;
}

export type AuthenticatorAssuranceLevel = "aal0" | "aal1" | "aal2" | "aal3";

export interface AuthenticationMethod {
  method: string;
  aal: AuthenticatorAssuranceLevel;
  completed_at: string;
  provider?: string;
  organization?: string;
}

export interface SessionDevice {
  id: string;
  ip_address?: string;
  user_agent?: string;
  location?: string;
}

/** A session (`whoami`, login). */
export interface Session<T extends object = Traits> {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  issued_at: string;
  authenticator_assurance_level: AuthenticatorAssuranceLevel;
  authentication_methods: AuthenticationMethod[];
  identity: Identity<T>;
  devices: SessionDevice[];
}

export type FlowType = "browser" | "api";

/** What to do after a flow finished (Kratos's `continue_with`). */
export type ContinueWith =
  | { action: "redirect_browser_to"; redirect_browser_to: string }
  | { action: "set_ory_session_token"; ory_session_token: string }
  | { action: "show_verification_ui"; flow: { id: string; verifiable_address: string; url?: string } }
  | { action: "show_settings_ui"; flow: { id: string; url?: string } };

interface FlowCommon {
  id: string;
  type: FlowType;
  expires_at: string;
  issued_at: string;
  request_url: string;
  return_to?: string;
  active?: string;
  ui: UiContainer;
  transient_payload?: Record<string, unknown>;
}

/** The settings flow of the signed-in identity. */
export interface SettingsFlow<T extends object = Traits> extends FlowCommon {
  identity: Identity<T>;
  state: "show_form" | "success";
  organization_id: string | null;
  continue_with?: ContinueWith[];
}

export interface LoginFlow extends FlowCommon {
  created_at: string;
  updated_at: string;
  refresh: boolean;
  requested_aal: "aal1" | "aal2";
  state: string;
  organization_id?: string | null;
}

export interface RegistrationFlow extends FlowCommon {
  state: string;
  organization_id?: string | null;
}

/** The verification flow: `choose_method` → `sent_email` → `passed_challenge`. */
export interface VerificationFlow extends FlowCommon {
  state: string;
}

/** The recovery flow; once the code is used, `continue_with` names the settings flow to open. */
export interface RecoveryFlow extends FlowCommon {
  state: string;
  continue_with?: ContinueWith[];
}

/** The inner error object of Kratos's error envelope. */
export interface GenericError {
  id?: string;
  code?: number;
  status?: string;
  request?: string;
  reason?: string;
  details?: Record<string, unknown>;
  message: string;
}

/** `{ error: {...}, redirect_browser_to?, use_flow_id?, ... }`: what the REST API answers on errors. */
export interface ErrorEnvelope {
  error: GenericError;
  redirect_browser_to?: string;
  use_flow_id?: string;
  expired_at?: string;
  since?: number;
  [key: string]: unknown;
}

// --- submission bodies ----------------------------------------------------------------------

export interface SettingsProfileBody<T extends object = Traits> {
  method: "profile";
  traits: T;
  csrf_token?: string;
  transient_payload?: Record<string, unknown>;
}

export interface SettingsPasswordBody {
  method: "password";
  password: string;
  csrf_token?: string;
  transient_payload?: Record<string, unknown>;
}

/** Link (`link`) or unlink (`unlink`) a sign-in provider, by its id in the OIDC configuration. */
export interface SettingsOidcBody {
  method: "oidc";
  link?: string;
  unlink?: string;
  csrf_token?: string;
  /** Ignored (Kratos overwrites it); declared because Kratos's body declares it. */
  traits?: unknown;
  /** Passed on to the provider's authorization request; only these keys are allowed. */
  upstream_parameters?: { hd?: string; prompt?: string; acr_values?: string };
  transient_payload?: Record<string, unknown>;
}

export type SettingsBody<T extends object = Traits> =
  | SettingsProfileBody<T>
  | SettingsPasswordBody
  | SettingsOidcBody;

/**
 * A verification or recovery submission: `email` to have a code (or link) sent, `code` to use one.
 * `method` is the one the server is configured with (`code` or `link`).
 */
export interface OneTimeCodeBody {
  method: "code" | "link";
  email?: string;
  code?: string;
  csrf_token?: string;
  transient_payload?: Record<string, unknown>;
}

export type VerificationBody = OneTimeCodeBody;
export type RecoveryBody = OneTimeCodeBody;

export interface RegistrationPasswordBody<T extends object = Traits> {
  method: "password";
  password: string;
  traits: T;
  csrf_token?: string;
  transient_payload?: Record<string, unknown>;
}

/**
 * The input of `registration.submit` and `settings.submit`: `dryRun: true` validates the body and
 * answers with the flow (message 1900001, or the field messages) without writing anything.
 */
export interface FlowSubmission<B> {
  flow: string;
  body: B;
  dryRun?: boolean;
}

export interface LoginPasswordBody {
  method: "password";
  identifier: string;
  password: string;
  csrf_token?: string;
  transient_payload?: Record<string, unknown>;
}

// --- success bodies ---------------------------------------------------------------------------

/** Registration finished: the new identity, and a session when the `session` hook ran. */
export interface RegistrationSuccess<T extends object = Traits> {
  identity: Identity<T>;
  session?: Session<T>;
  /** api flows only: the new session's token. */
  session_token?: string;
  continue_with: ContinueWith[];
}

export interface LoginSuccess<T extends object = Traits> {
  session: Session<T>;
  /** api flows only. */
  session_token?: string;
  continue_with: ContinueWith[];
}

// --- account (`/self-service/account/*`) --------------------------------------------------------

/** One entry of the signed-in person's security history; network and client are coarse on purpose. */
export interface SecurityEvent {
  id: string;
  /** e.g. `registration`, `login`, `login_failed`, `settings`, `session_revoked`. */
  type: string;
  method: string | null;
  outcome: "success" | "failure";
  /** An IPv4 /24 or IPv6 /48. */
  network: string | null;
  /** e.g. "Firefox on Linux". */
  client: string | null;
  created_at: string;
}

export interface HistoryInput {
  /** 1–250, 50 by default. */
  pageSize?: number;
  /** RFC 3339: entries older than this (the last entry's `created_at` for the next page). */
  before?: string;
}

/** An address change waiting for the new address to be verified (`account.pendingAddressChange`). */
export interface PendingAddressChange {
  id: string;
  /** The trait, as a node name (`traits.email`). */
  trait: string;
  via: "email";
  new_address: string;
  /** The verification flow the new address's code or link went out on. */
  verification_flow_id: string | null;
  created_at: string;
}

/** Whether the account is scheduled for deletion, and when. */
export interface DeletionStatus {
  scheduled: boolean;
  requested_at?: string;
  due_at?: string;
}

/** The words `account.deletion.request` needs, so that no stray call deletes an account. */
export type DeletionConfirmation = "delete my account";

/** The credential types Tessera stores. */
export type CredentialType = "password" | "oidc" | "totp" | "lookup_secret" | "webauthn" | "passkey" | "code";

/** A credential as its owner may see it: no secret, no configuration. */
export interface CredentialSummary {
  type: CredentialType;
  identifiers: string[];
  created_at: string;
  updated_at: string;
}

/** Everything Tessera keeps about the signed-in person (`account.export.enabled`). */
export interface AccountExport<T extends object = Traits> {
  exported_at: string;
  identity: Identity<T>;
  credentials: CredentialSummary[];
  sessions: Session<T>[];
  history: SecurityEvent[];
  deletion: { requested_at: string; due_at: string } | null;
}
