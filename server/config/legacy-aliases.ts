import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./errors.ts";

/**
 * The configuration keys of Kratos v0.1 and v0.2 (seeds 001 and 000; contract §19) rewritten to
 * today's names before validation, so a configuration written for those releases starts Tessera.
 * A separate step on the raw tree: the schema (schema.ts) knows only today's names.
 *
 * An old key and its new name may both be set only to the same value; otherwise the load stops with
 * one line naming both. Old keys with no counterpart today (`urls.mfa_ui`, `selfservice.verify.link_lifespan`)
 * are accepted and have no effect (README, "Legacy APIs"); `courier.template_override_path` keeps
 * its name and works (server/courier/templates.ts).
 */

type Tree = Record<string, unknown>;
type Path = readonly string[];

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const show = (path: Path) => path.join(".");

/** Removes the value at `path` (pruning parents left empty) and returns it. */
function take(tree: Tree, path: Path): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !Object.hasOwn(tree, head)) return undefined;
  if (rest.length === 0) {
    const value = tree[head];
    delete tree[head];
    return value;
  }
  const child = tree[head];
  if (!isTree(child)) return undefined;
  const value = take(child, rest);
  if (Object.keys(child).length === 0) delete tree[head];
  return value;
}

function get(tree: Tree, path: Path): unknown {
  let node: unknown = tree;
  for (const key of path) {
    if (!isTree(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Writes translated values, refusing an old key whose new name holds something else. */
class Writer {
  /** New path → the old key that set it, for the conflict line. */
  readonly #setBy = new Map<string, string>();

  constructor(readonly tree: Tree) {}

  put(path: Path, value: unknown, oldKey: string): void {
    const existing = get(this.tree, path);
    if (existing !== undefined && !same(existing, value)) {
      const by = this.#setBy.get(show(path));
      const other = by ? `${by} (also an old name of ${show(path)})` : show(path);
      throw new ConfigError(
        `${oldKey}: is the old name of ${show(path)}, but ${other} is also set, to a different value (${JSON.stringify(value)} vs ${JSON.stringify(existing)}); keep only one of them`,
        oldKey,
      );
    }
    let node = this.tree;
    for (const key of path.slice(0, -1)) {
      if (!isTree(node[key])) node[key] = {};
      node = node[key] as Tree;
    }
    node[path[path.length - 1]!] = value;
    this.#setBy.set(show(path), oldKey);
  }

  /** Moves `from` to `to` (after `map`) if `from` is set. */
  move(from: Path, to: Path, map: (v: unknown) => unknown = (v) => v): void {
    const value = take(this.tree, from);
    if (value !== undefined) this.put(to, map(value), show(from));
  }
}

const SIMPLE: [old: string, now: string][] = [
  ["urls.profile_ui", "selfservice.flows.settings.ui_url"],
  ["urls.settings_ui", "selfservice.flows.settings.ui_url"],
  ["urls.login_ui", "selfservice.flows.login.ui_url"],
  ["urls.registration_ui", "selfservice.flows.registration.ui_url"],
  ["urls.error_ui", "selfservice.flows.error.ui_url"],
  ["urls.verify_ui", "selfservice.flows.verification.ui_url"],
  ["urls.default_return_to", "selfservice.default_browser_return_url"],
  ["urls.whitelisted_return_to_domains", "selfservice.allowed_return_urls"],
  ["urls.whitelisted_return_to_urls", "selfservice.allowed_return_urls"],
  ["urls.self.public", "serve.public.base_url"],
  ["urls.self.admin", "serve.admin.base_url"],
  ["selfservice.profile.request_lifespan", "selfservice.flows.settings.lifespan"],
  ["selfservice.settings.request_lifespan", "selfservice.flows.settings.lifespan"],
  [
    "selfservice.settings.privileged_session_max_age",
    "selfservice.flows.settings.privileged_session_max_age",
  ],
  ["selfservice.login.request_lifespan", "selfservice.flows.login.lifespan"],
  ["selfservice.registration.request_lifespan", "selfservice.flows.registration.lifespan"],
  ["selfservice.verify.request_lifespan", "selfservice.flows.verification.lifespan"],
  ["selfservice.verify.return_to", "selfservice.flows.verification.after.default_browser_return_url"],
  ["selfservice.logout.redirect_to", "selfservice.flows.logout.after.default_browser_return_url"],
  ["secrets.session", "secrets.cookie"],
  ["security.session.cookie.same_site", "session.cookie.same_site"],
];

/** Old keys with nothing to map to. */
const DROPPED = ["urls.mfa_ui", "selfservice.verify.link_lifespan"];

const split = (key: string) => key.split(".");

/**
 * Hooks then: v0.1 `[{job, config}]`, v0.2 `[{hook, config}]`. `session` and `revoke_active_sessions`
 * are unchanged; `redirect` became `default_browser_return_url`; `verify` became the verification flow.
 */
function translateHooks(w: Writer, list: unknown, flowPath: Path, oldKey: string): unknown[] {
  if (!Array.isArray(list)) return list as never;
  const out: unknown[] = [];
  for (const item of list) {
    if (!isTree(item)) {
      out.push(item);
      continue;
    }
    const name = typeof item.job === "string" ? item.job : item.hook;
    const config = isTree(item.config) ? item.config : {};
    if (name === "redirect") {
      if (typeof config.default_redirect_url === "string")
        w.put([...flowPath, "default_browser_return_url"], config.default_redirect_url, oldKey);
    } else if (name === "verify") {
      w.put(["selfservice", "flows", "verification", "enabled"], true, oldKey);
    } else if (typeof item.job === "string") {
      out.push({ hook: item.job, ...(item.config ? { config: item.config } : {}) });
    } else {
      out.push(item);
    }
  }
  return out;
}

/** `selfservice.<flow>.{before,after}` of v0.1/v0.2 into `selfservice.flows.<flow>.…`. */
function moveFlowHooks(w: Writer, flow: string, now: string): void {
  const base = ["selfservice", flow];
  const target = ["selfservice", "flows", now];
  const before = take(w.tree, [...base, "before"]);
  if (before !== undefined) {
    const key = show([...base, "before"]);
    const hooks = Array.isArray(before) ? before : isTree(before) ? before.hooks : undefined;
    w.put([...target, "before", "hooks"], translateHooks(w, hooks, [...target, "before"], key), key);
  }
  const after = take(w.tree, [...base, "after"]);
  if (!isTree(after)) return;
  for (const [name, value] of Object.entries(after)) {
    const key = show([...base, "after", name]);
    if (name === "default_return_to") {
      w.put([...target, "after", "default_browser_return_url"], value, key);
      continue;
    }
    const methodPath = [...target, "after", name];
    if (name === "hooks") {
      w.put(methodPath, translateHooks(w, value, [...target, "after"], key), key);
      continue;
    }
    // v0.1: after.<method> is the list of jobs; v0.2: {default_return_to, hooks}.
    const hooks = Array.isArray(value) ? value : isTree(value) ? value.hooks : undefined;
    if (isTree(value) && value.default_return_to !== undefined)
      w.put([...methodPath, "default_browser_return_url"], value.default_return_to, key);
    if (hooks !== undefined) w.put([...methodPath, "hooks"], translateHooks(w, hooks, methodPath, key), key);
  }
}

/** `selfservice.strategies.<name>` → `selfservice.methods.<name>`; an OIDC provider's `schema_url` is its `mapper_url`. */
function moveStrategies(w: Writer): void {
  const strategies = take(w.tree, ["selfservice", "strategies"]);
  if (!isTree(strategies)) return;
  for (const [name, value] of Object.entries(strategies)) {
    const key = `selfservice.strategies.${name}`;
    if (!isTree(value)) {
      w.put(["selfservice", "methods", name], value, key);
      continue;
    }
    if (value.enabled !== undefined) w.put(["selfservice", "methods", name, "enabled"], value.enabled, key);
    if (!isTree(value.config)) continue;
    for (const [option, setting] of Object.entries(value.config)) {
      const mapped =
        option === "providers" && Array.isArray(setting)
          ? setting.map((p) => {
              if (!isTree(p) || p.schema_url === undefined) return p;
              const { schema_url, ...rest } = p;
              return { ...rest, mapper_url: schema_url };
            })
          : setting;
      w.put(["selfservice", "methods", name, "config", option], mapped, `${key}.config.${option}`);
    }
  }
}

/**
 * v0.1/v0.2 schemas described the traits alone; today's describe the identity with the traits under
 * `properties.traits`. A file or base64 traits schema is wrapped (as a base64:// URL); anything
 * already an identity schema, or not readable here (http), is left for the schema loader.
 */
function asIdentitySchemaUrl(url: string, baseDir: string): string {
  let text: string;
  try {
    if (url.startsWith("base64://")) text = Buffer.from(url.slice(9), "base64").toString("utf8");
    else if (url.startsWith("file://") || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      const rest = url.replace(/^file:\/\//, "");
      const path = rest.startsWith("/") ? fileURLToPath(`file://${rest}`) : rest;
      text = readFileSync(isAbsolute(path) ? path : resolve(baseDir, path), "utf8");
    } else return url;
  } catch {
    return url;
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return url;
  }
  if (!isTree(schema) || (isTree(schema.properties) && isTree(schema.properties.traits))) return url;
  const { $schema: _dialect, $id, ...traits } = schema;
  const wrapped = {
    ...(typeof $id === "string" ? { $id } : {}),
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { traits },
  };
  return `base64://${Buffer.from(JSON.stringify(wrapped)).toString("base64")}`;
}

function moveTraitsSchemas(w: Writer, baseDir: string): void {
  const defaultUrl = take(w.tree, ["identity", "traits", "default_schema_url"]);
  const others = take(w.tree, ["identity", "traits", "schemas"]);
  if (defaultUrl === undefined && others === undefined) return;
  const key = defaultUrl !== undefined ? "identity.traits.default_schema_url" : "identity.traits.schemas";
  const entries: unknown[] = [];
  if (typeof defaultUrl === "string")
    entries.push({ id: "default", url: asIdentitySchemaUrl(defaultUrl, baseDir) });
  if (Array.isArray(others)) {
    for (const entry of others) {
      entries.push(
        isTree(entry) && typeof entry.url === "string"
          ? { ...entry, url: asIdentitySchemaUrl(entry.url, baseDir) }
          : entry,
      );
    }
  }
  w.put(["identity", "schemas"], entries, key);
  if (defaultUrl !== undefined) w.put(["identity", "default_schema_id"], "default", key);
}

/**
 * Rewrites the old keys of one configuration source (a file, the overrides) to today's names.
 * `baseDir` resolves relative schema paths (the configuration file's directory).
 * Returns a new tree; the input is not changed.
 */
export function translateLegacyKeys(input: Tree, baseDir = process.cwd()): Tree {
  const w = new Writer(structuredClone(input));
  for (const [old, now] of SIMPLE) w.move(split(old), split(now));
  // The v0.1 argon2 memory was a number of KiB; today it is a size such as "64MB".
  const memory = get(w.tree, ["hashers", "argon2", "memory"]);
  if (typeof memory === "number")
    w.move(["hashers", "argon2", "memory"], ["hashers", "argon2", "memory"], (v) => `${v}KB`);
  for (const key of DROPPED) take(w.tree, split(key));
  moveStrategies(w);
  moveFlowHooks(w, "login", "login");
  moveFlowHooks(w, "registration", "registration");
  moveFlowHooks(w, "settings", "settings");
  moveTraitsSchemas(w, baseDir);
  return w.tree;
}
