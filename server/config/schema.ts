import { z } from "zod";
import { DURATION_PATTERN } from "../duration.ts";

/** A CSS hex colour; nothing else can reach the stylesheet from config. */
const hexColor = z.string().regex(/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i, "must be a hex colour such as #3b3fd8");

/**
 * The configuration file's shape, using Ory Kratos's key names for everything Tessera supports.
 * Objects are strict: an unknown key is an error, so a typo never silently falls back to a default.
 * Durations stay Go-style strings here ("1h"); `resolveConfig` turns them into milliseconds.
 */

const duration = (fallback: string) =>
  z.string().regex(DURATION_PATTERN, "must be a duration such as 1h, 30m or 10s").default(fallback);

const url = z.string().refine((v) => URL.canParse(v), "must be an absolute URL");
/** UI URLs may be relative to the public base URL (Kratos allows that). */
const uiUrl = z.string().min(1);

/** Kratos's `emailCourierTemplate`: each value is a URL (file://, base64://) of a Go-template text. */
const emailCourierTemplate = z.strictObject({
  subject: z.string().optional(),
  body: z.strictObject({ plaintext: z.string().optional(), html: z.string().optional() }).optional(),
});
const validEmailTemplate = z.strictObject({
  email: emailCourierTemplate,
  sms: z.strictObject({ body: z.strictObject({ plaintext: z.string().optional() }).optional() }).optional(),
});
const courierTemplatePair = z.strictObject({
  invalid: z.strictObject({ email: emailCourierTemplate }).optional(),
  valid: validEmailTemplate.optional(),
});
const courierTemplates = z.strictObject({
  recovery: courierTemplatePair.optional(),
  recovery_code: courierTemplatePair.optional(),
  verification: courierTemplatePair.optional(),
  verification_code: courierTemplatePair.optional(),
  registration_code: z.strictObject({ valid: validEmailTemplate.optional() }).optional(),
  login_code: z.strictObject({ valid: validEmailTemplate.optional() }).optional(),
  // Kratos master's notice of a changed address: one variant, no valid/invalid level.
  verifiable_address_changed: z
    .strictObject({
      email: emailCourierTemplate.optional(),
      sms: z
        .strictObject({ body: z.strictObject({ plaintext: z.string().optional() }).optional() })
        .optional(),
    })
    .optional(),
});

const sameSite = z.enum(["Strict", "Lax", "None"]);

const webHookConfig = z.strictObject({
  url: url,
  method: z.string().default("POST"),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  auth: z
    .discriminatedUnion("type", [
      z.strictObject({
        type: z.literal("api_key"),
        config: z.strictObject({ name: z.string(), value: z.string(), in: z.enum(["header", "cookie"]) }),
      }),
      z.strictObject({
        type: z.literal("basic_auth"),
        config: z.strictObject({ user: z.string(), password: z.string() }),
      }),
    ])
    .optional(),
  response: z
    .strictObject({ ignore: z.boolean().default(false), parse: z.boolean().default(false) })
    .default({ ignore: false, parse: false }),
  can_interrupt: z.boolean().default(false),
  id: z.string().optional(),
  emit_analytics_event: z.boolean().optional(),
});

export const hookSchema = z.discriminatedUnion("hook", [
  z.strictObject({ hook: z.literal("web_hook"), config: webHookConfig }),
  z.strictObject({ hook: z.literal("session") }),
  z.strictObject({ hook: z.literal("revoke_active_sessions") }),
  z.strictObject({ hook: z.literal("show_verification_ui") }),
  z.strictObject({ hook: z.literal("require_verified_address") }),
]);

/**
 * Kratos master's settings hooks for address changes, admitted (as in Kratos) only in
 * `selfservice.flows.settings.after[.profile].hooks` (docs/account-features.md).
 */
const addressChangeHooks = [
  z.strictObject({ hook: z.literal("verify_new_address") }),
  z.strictObject({
    hook: z.literal("notify_previous_addresses"),
    config: z
      .strictObject({ recipients: z.enum(["removed", "all_verified", "all"]).default("removed") })
      .optional(),
  }),
] as const;
const settingsHookSchema = z.discriminatedUnion("hook", [...hookSchema.options, ...addressChangeHooks]);
export type HookConfig = z.infer<typeof settingsHookSchema>;

const hooks = z.array(hookSchema).default([]);
const settingsHooks = z.array(settingsHookSchema).default([]);
const settingsAfterMethod = z
  .strictObject({ default_browser_return_url: url.optional(), hooks: settingsHooks })
  .default({ hooks: [] });

const afterMethod = z
  .strictObject({ default_browser_return_url: url.optional(), hooks })
  .default({ hooks: [] });

const enabled = (on: boolean) =>
  z.strictObject({ enabled: z.boolean().default(on) }).default({ enabled: on });

const oidcProvider = z.strictObject({
  id: z.string().min(1),
  provider: z
    .enum([
      "github",
      "github-app",
      "gitlab",
      "generic",
      "google",
      "microsoft",
      "discord",
      "salesforce",
      "slack",
      "facebook",
      "auth0",
      "vk",
      "yandex",
      "apple",
      "spotify",
      "netid",
      "dingtalk",
      "patreon",
      "line",
      "linkedin",
      "linkedin_v2",
      "lark",
      "x",
      "fedcm-test",
      "amazon",
      "uaepass",
    ])
    .default("generic"),
  label: z.string().optional(),
  client_id: z.string(),
  client_secret: z.string().optional(),
  issuer_url: url.optional(),
  auth_url: url.optional(),
  token_url: url.optional(),
  scope: z.array(z.string()).default(["openid"]),
  mapper_url: z.string().optional(),
  organization_id: z.string().optional(),
  microsoft_tenant: z.string().optional(),
  subject_source: z.enum(["userinfo", "me", "oid"]).optional(),
  apple_team_id: z.string().optional(),
  apple_private_key_id: z.string().optional(),
  apple_private_key: z.string().optional(),
  requested_claims: z.record(z.string(), z.unknown()).optional(),
  additional_id_token_audiences: z.array(z.string()).default([]),
  aal2_acr_values: z.array(z.string()).optional(),
  aal2_amr_values: z.array(z.string()).optional(),
  claims_source: z.enum(["id_token", "userinfo"]).default("id_token"),
  pkce: z.enum(["auto", "never", "force"]).default("auto"),
  fedcm_config_url: z.string().optional(),
  net_id_token_origin_header: z.string().optional(),
  account_linking_mode: z.enum(["confirm_with_existing_credential", "automatic"]).optional(),
  update_identity_on_login: z.enum(["never", "automatic"]).optional(),
  /** Tessera addition: the userinfo endpoint instead of the discovered one (tests point it at loopback). */
  userinfo_url: url.optional(),
  /** Tessera addition: GitHub's REST API base (default https://api.github.com), for the user and emails calls. */
  api_url: url.optional(),
});

const passwordPolicy = z
  .strictObject({
    min_password_length: z.number().int().min(6).default(8),
    identifier_similarity_check_enabled: z.boolean().default(true),
    haveibeenpwned_enabled: z.boolean().default(true),
    haveibeenpwned_host: z.string().default("api.pwnedpasswords.com"),
    max_breaches: z.number().int().min(0).max(100).default(0),
    ignore_network_errors: z.boolean().default(true),
    /** Tessera addition: refuse the most common passwords with no network at all. */
    common_passwords_check_enabled: z.boolean().default(true),
  })
  .default({
    min_password_length: 8,
    identifier_similarity_check_enabled: true,
    haveibeenpwned_enabled: true,
    haveibeenpwned_host: "api.pwnedpasswords.com",
    max_breaches: 0,
    ignore_network_errors: true,
    common_passwords_check_enabled: true,
  });

const flowBase = {
  ui_url: uiUrl.optional(),
  lifespan: duration("1h"),
};

export const configSchema = z.strictObject({
  version: z.string().optional(),
  dsn: z.string().default("sqlite://./data/tessera.sqlite"),
  dev: z.boolean().default(false),
  serve: z
    .strictObject({
      public: z
        .strictObject({
          base_url: url.optional(),
          host: z.string().default("127.0.0.1"),
          port: z.number().int().min(0).max(65535).default(4433),
          cors: z
            .strictObject({
              enabled: z.boolean().default(false),
              allowed_origins: z.array(z.string()).default([]),
              allowed_methods: z.array(z.string()).default(["GET", "POST", "PUT", "PATCH", "DELETE"]),
              allowed_headers: z
                .array(z.string())
                .default(["Authorization", "Content-Type", "X-Session-Token", "X-CSRF-Token", "Accept"]),
              exposed_headers: z.array(z.string()).default(["Content-Type", "Set-Cookie"]),
              allow_credentials: z.boolean().default(true),
              max_age: z.number().int().min(0).default(0),
            })
            .optional(),
        })
        .default({ host: "127.0.0.1", port: 4433 }),
      admin: z
        .strictObject({
          base_url: url.optional(),
          host: z.string().default("127.0.0.1"),
          port: z.number().int().min(0).max(65535).default(4434),
        })
        .default({ host: "127.0.0.1", port: 4434 }),
    })
    .default({ public: { host: "127.0.0.1", port: 4433 }, admin: { host: "127.0.0.1", port: 4434 } }),
  selfservice: z
    .strictObject({
      default_browser_return_url: url.optional(),
      allowed_return_urls: z.array(z.string()).default([]),
      methods: z
        .strictObject({
          profile: enabled(true),
          password: z
            .strictObject({ enabled: z.boolean().default(true), config: passwordPolicy })
            .default({ enabled: true, config: passwordPolicy.parse(undefined) }),
          oidc: z
            .strictObject({
              enabled: z.boolean().default(false),
              config: z
                .strictObject({
                  base_redirect_uri: url.optional(),
                  providers: z.array(oidcProvider).default([]),
                })
                .default({ providers: [] }),
            })
            .default({ enabled: false, config: { providers: [] } }),
          code: z
            .strictObject({
              enabled: z.boolean().default(true),
              passwordless_enabled: z.boolean().default(false),
              mfa_enabled: z.boolean().default(false),
              config: z
                .strictObject({
                  lifespan: duration("1h"),
                  max_submissions: z.number().int().min(1).max(255).default(5),
                  missing_credential_fallback_enabled: z.boolean().default(false),
                })
                .prefault({}),
            })
            .prefault({}),
          link: z
            .strictObject({
              enabled: z.boolean().default(false),
              config: z
                .strictObject({ lifespan: duration("1h"), base_url: z.string().optional() })
                .prefault({}),
            })
            .prefault({}),
          totp: z
            .strictObject({
              enabled: z.boolean().default(false),
              config: z.strictObject({ issuer: z.string().optional() }).optional(),
            })
            .prefault({}),
          lookup_secret: enabled(false),
          webauthn: enabled(false),
          passkey: enabled(false),
        })
        .prefault({}),
      flows: z
        .strictObject({
          settings: z
            .strictObject({
              ...flowBase,
              privileged_session_max_age: duration("1h"),
              required_aal: z.enum(["aal1", "highest_available"]).default("highest_available"),
              before: z.strictObject({ hooks }).default({ hooks: [] }),
              after: z
                .strictObject({
                  default_browser_return_url: url.optional(),
                  hooks: settingsHooks,
                  profile: settingsAfterMethod,
                  password: afterMethod,
                  oidc: afterMethod,
                  totp: afterMethod,
                  lookup_secret: afterMethod,
                  webauthn: afterMethod,
                  passkey: afterMethod,
                })
                .prefault({}),
            })
            .prefault({}),
          login: z
            .strictObject({
              ...flowBase,
              style: z.enum(["unified", "identifier_first"]).default("unified"),
              before: z.strictObject({ hooks }).default({ hooks: [] }),
              after: z
                .strictObject({
                  default_browser_return_url: url.optional(),
                  hooks,
                  password: afterMethod,
                  oidc: afterMethod,
                })
                .prefault({}),
            })
            .prefault({}),
          registration: z
            .strictObject({
              ...flowBase,
              enabled: z.boolean().default(true),
              style: z.enum(["profile_first", "unified"]).default("profile_first"),
              enable_legacy_one_step: z.boolean().default(true),
              before: z.strictObject({ hooks }).default({ hooks: [] }),
              after: z
                .strictObject({
                  default_browser_return_url: url.optional(),
                  hooks,
                  password: z
                    .strictObject({ default_browser_return_url: url.optional(), hooks })
                    .default({ hooks: [{ hook: "session" }] }),
                  oidc: afterMethod,
                })
                .prefault({}),
            })
            .prefault({}),
          verification: z
            .strictObject({
              ...flowBase,
              enabled: z.boolean().default(false),
              use: z.enum(["code", "link"]).default("code"),
              notify_unknown_recipients: z.boolean().default(false),
              before: z.strictObject({ hooks }).default({ hooks: [] }),
              after: z.strictObject({ default_browser_return_url: url.optional(), hooks }).prefault({}),
            })
            .prefault({}),
          recovery: z
            .strictObject({
              ...flowBase,
              enabled: z.boolean().default(false),
              use: z.enum(["code", "link"]).default("code"),
              notify_unknown_recipients: z.boolean().default(false),
              before: z.strictObject({ hooks }).default({ hooks: [] }),
              after: z.strictObject({ default_browser_return_url: url.optional(), hooks }).prefault({}),
            })
            .prefault({}),
          logout: z
            .strictObject({
              after: z.strictObject({ default_browser_return_url: url.optional() }).default({}),
              clear_browser_data: z.boolean().default(false),
            })
            .prefault({}),
          error: z.strictObject({ ui_url: uiUrl.optional() }).default({}),
        })
        .prefault({}),
    })
    .prefault({}),
  identity: z
    .strictObject({
      default_schema_id: z.string().default("default"),
      schemas: z.array(z.strictObject({ id: z.string().min(1), url: z.string().min(1) })).default([]),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      default: z.array(z.string().min(16)).optional(),
      cookie: z.array(z.string().min(16)).optional(),
      cipher: z.array(z.string().min(32)).optional(),
    })
    .default({}),
  /** Kratos's `ciphers.algorithm`: what encrypts OIDC state and stored provider tokens (server/crypto/cipher.ts). */
  ciphers: z
    .strictObject({ algorithm: z.enum(["noop", "aes", "xchacha20-poly1305"]).default("noop") })
    .prefault({}),
  session: z
    .strictObject({
      lifespan: duration("24h"),
      earliest_possible_extend: z.string().regex(DURATION_PATTERN).optional(),
      cookie: z
        .strictObject({
          name: z.string().default("ory_kratos_session"),
          domain: z.string().optional(),
          path: z.string().optional(),
          same_site: sameSite.optional(),
          secure: z.boolean().optional(),
          persistent: z.boolean().default(true),
        })
        .prefault({}),
      whoami: z
        .strictObject({ required_aal: z.enum(["aal1", "highest_available"]).default("highest_available") })
        .prefault({}),
    })
    .prefault({}),
  cookies: z
    .strictObject({
      domain: z.string().optional(),
      path: z.string().default("/"),
      same_site: sameSite.default("Lax"),
      secure: z.boolean().optional(),
    })
    .prefault({}),
  hashers: z
    .strictObject({
      algorithm: z.enum(["argon2", "bcrypt"]).default("argon2"),
      argon2: z
        .strictObject({
          // OWASP's argon2id baseline (19 MiB, t=2, p=1); README "Password hashing" says how to raise it.
          memory: z.string().default("19MiB"),
          iterations: z.number().int().min(1).default(2),
          parallelism: z.number().int().min(1).default(1),
          salt_length: z.number().int().min(8).default(16),
          key_length: z.number().int().min(16).default(32),
        })
        .prefault({}),
      bcrypt: z.strictObject({ cost: z.number().int().min(4).max(31).default(12) }).prefault({}),
    })
    .prefault({}),
  courier: z
    .strictObject({
      smtp: z
        .strictObject({
          connection_uri: z
            .string()
            .regex(/^smtps?:\/\/.*/, "must be an smtp:// or smtps:// URL")
            .default("smtp://127.0.0.1:1025/?disable_starttls=true"),
          from_address: z.string().default("no-reply@tessera.local"),
          from_name: z.string().optional(),
          headers: z.record(z.string(), z.string()).optional(),
          local_name: z.string().default("localhost"),
          client_cert_path: z.string().default(""),
          client_key_path: z.string().default(""),
        })
        .prefault({}),
      /** Attempts after the first failed one before a message is abandoned (Kratos's default: 5). */
      message_retries: z.number().int().min(0).default(5),
      /** Per template (Kratos's names), URLs (file://, base64://) of subject and bodies to use instead of the built-in texts. */
      templates: courierTemplates.optional(),
      /** A folder laid out like Kratos's built-in templates (`verification_code/valid/email.subject.gotmpl`, …). */
      template_override_path: z.string().optional(),
      worker: z
        .strictObject({ pull_count: z.number().int().min(1).default(10), pull_wait: duration("1s") })
        .prefault({}),
      delivery_strategy: z.enum(["smtp"]).default("smtp"),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warning", "warn", "error", "fatal", "panic"]).default("info"),
      /** Unset: JSON lines, or text when `dev` is on (server/observe/log-format.ts). */
      format: z.enum(["text", "json"]).optional(),
      leak_sensitive_values: z.boolean().default(false),
      redaction_text: z.string().optional(),
    })
    .prefault({}),
  database: z
    .strictObject({
      cleanup: z
        .strictObject({
          batch_size: z.number().int().min(1).default(100),
          sleep: z.strictObject({ tables: duration("1m") }).prefault({}),
          older_than: duration("0s"),
          /** Tessera addition: `serve` runs the cleanup this often (unset: never; use `tessera cleanup`). */
          interval: z.string().regex(DURATION_PATTERN).optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Tessera: serve the v0.1 profile and v0.2 settings APIs (contract §19, server/legacy/). */
  legacy: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  feature_flags: z
    .strictObject({
      cacheable_sessions: z.boolean().default(false),
      legacy_continue_with_verification_ui: z.boolean().default(false),
      /** Recovery answers SPAs and native apps with `continue_with` instead of a 422 (Kratos's flag). */
      use_continue_with_transitions: z.boolean().default(false),
    })
    .prefault({}),
  // Tessera's own: the account features (docs/account-features.md). Kratos has no such keys.
  account: z
    .strictObject({
      history: z
        .strictObject({ enabled: z.boolean().default(true), retention: duration("2160h") })
        .prefault({}),
      export: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
      deletion: z
        .strictObject({ enabled: z.boolean().default(false), grace_period: duration("720h") })
        .prefault({}),
      /** Held and revertible address changes: how long the old address's "this wasn't me" link works. */
      address_change: z.strictObject({ revert_lifespan: duration("72h") }).prefault({}),
    })
    .prefault({}),
  // Tessera's own: the built-in pages under /ui/ (README "Built-in UI"). Kratos has no such keys.
  ui: z
    .strictObject({
      branding: z
        .strictObject({
          /** Shown in the header and every page title. */
          name: z.string().trim().min(1).max(60).default("Tessera"),
          /** An https (or same-site relative) image shown beside the name. */
          logo_url: z
            .string()
            .refine((v) => /^https:\/\/[^\s"'<>()\\]+$/i.test(v) || /^\/(?!\/)[^\s"'<>()\\]*$/.test(v), {
              message: "must be an https:// URL or a path starting with /",
            })
            .optional(),
          /** Hex colours only (`#rgb` or `#rrggbb`), so a value can never carry other CSS. */
          colors: z
            .strictObject({
              primary: hexColor.optional(),
              primary_text: hexColor.optional(),
              primary_dark: hexColor.optional(),
              primary_text_dark: hexColor.optional(),
            })
            .prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  clients: z
    .strictObject({
      http: z
        .strictObject({
          /** Refuse outgoing calls (web hooks) to loopback, private, link-local and metadata addresses. */
          disallow_private_ip_ranges: z.boolean().default(false),
          /** URLs called even so; exact, case-sensitive match as in Kratos. */
          private_ip_exception_urls: z.array(z.string()).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
});

/** The configuration as written (before defaults), e.g. for tests that override a few keys. */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration with every default applied. */
export type Config = z.output<typeof configSchema>;
