import { parseDuration } from "../duration.ts";
import type { Config } from "./schema.ts";

/** Values derived once at start from the configuration, so no request recomputes them. */
export interface ResolvedConfig {
  raw: Config;
  publicUrl: URL;
  adminUrl: URL;
  /** The public base URL as a string with a trailing slash (used in the CSRF cookie name). */
  publicBase: string;
  ui: {
    settings: string;
    login: string;
    registration: string;
    verification: string;
    recovery: string;
    error: string;
    welcome: string;
  };
  defaultReturnUrl: string;
  ms: {
    settingsLifespan: number;
    privilegedSessionMaxAge: number;
    loginLifespan: number;
    registrationLifespan: number;
    verificationLifespan: number;
    sessionLifespan: number;
    historyRetention: number;
    deletionGracePeriod: number;
    addressChangeRevertLifespan: number;
  };
  /**
   * Whether cookies carry the Secure attribute. Kratos defaults to "not dev"; we also drop it on a
   * plain-http base URL, where browsers would refuse such cookies, unless `cookies.secure` says otherwise.
   */
  secureCookies: boolean;
}

function withSlash(u: URL): URL {
  const copy = new URL(u);
  if (!copy.pathname.endsWith("/")) copy.pathname += "/";
  return copy;
}

function listenerUrl(host: string, port: number): URL {
  const shown = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return new URL(`http://${shown}:${port}/`);
}

export function resolveConfig(raw: Config): ResolvedConfig {
  const publicUrl = withSlash(
    raw.serve.public.base_url
      ? new URL(raw.serve.public.base_url)
      : listenerUrl(raw.serve.public.host, raw.serve.public.port),
  );
  const adminUrl = withSlash(
    raw.serve.admin.base_url
      ? new URL(raw.serve.admin.base_url)
      : listenerUrl(raw.serve.admin.host, raw.serve.admin.port),
  );
  const builtIn = (page: string) => new URL(`ui/${page}`, publicUrl).toString();
  const flows = raw.selfservice.flows;
  return {
    raw,
    publicUrl,
    adminUrl,
    publicBase: publicUrl.toString(),
    ui: {
      settings: flows.settings.ui_url ?? builtIn("settings"),
      login: flows.login.ui_url ?? builtIn("login"),
      registration: flows.registration.ui_url ?? builtIn("registration"),
      verification: flows.verification.ui_url ?? builtIn("verification"),
      recovery: flows.recovery.ui_url ?? builtIn("recovery"),
      error: flows.error.ui_url ?? builtIn("error"),
      welcome: builtIn("welcome"),
    },
    defaultReturnUrl: raw.selfservice.default_browser_return_url ?? builtIn("welcome"),
    ms: {
      settingsLifespan: parseDuration(flows.settings.lifespan),
      privilegedSessionMaxAge: parseDuration(flows.settings.privileged_session_max_age),
      loginLifespan: parseDuration(flows.login.lifespan),
      registrationLifespan: parseDuration(flows.registration.lifespan),
      verificationLifespan: parseDuration(flows.verification.lifespan),
      sessionLifespan: parseDuration(raw.session.lifespan),
      historyRetention: parseDuration(raw.account.history.retention),
      deletionGracePeriod: parseDuration(raw.account.deletion.grace_period),
      addressChangeRevertLifespan: parseDuration(raw.account.address_change.revert_lifespan),
    },
    secureCookies: raw.cookies.secure ?? (!raw.dev && publicUrl.protocol === "https:"),
  };
}
