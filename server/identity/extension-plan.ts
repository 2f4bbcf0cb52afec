/**
 * Finds, once per identity schema, every trait that carries the `ory.sh/kratos` extension
 * (contract §14.2), so that deriving identifiers and addresses per request only reads values.
 */

export type AddressVia = "email" | "sms";

/** The `ory.sh/kratos` keyword's content (meta-schema: identity_extension.meta.schema.json). */
export interface ExtensionConfig {
  credentials?: {
    password?: { identifier?: boolean };
    webauthn?: { identifier?: boolean };
    passkey?: { display_name?: boolean };
    totp?: { account_name?: boolean };
    code?: { identifier?: boolean; via?: AddressVia };
  };
  verification?: { via?: AddressVia };
  recovery?: { via?: AddressVia };
}

/** A place in the traits that carries the extension. */
export interface ExtensionSite {
  /** Property names below `traits`; "*" stands for every item of an array. */
  path: readonly string[];
  /** The `format` declared next to the extension (Kratos decides normalisation by it). */
  format: string | undefined;
  config: ExtensionConfig;
}

export interface ExtensionPlan {
  /** In schema document order. */
  sites: readonly ExtensionSite[];
  /** Credential types some trait is an identifier for; their identifier lists are recomputed even when empty. */
  identifierTypes: readonly ("password" | "webauthn" | "code")[];
}

type SchemaNode = Record<string, unknown>;

const EXTENSION_KEY = "ory.sh/kratos";
const BRANCHES = ["allOf", "anyOf", "oneOf"] as const;
const CONDITIONALS = ["if", "then", "else"] as const;

function isNode(value: unknown): value is SchemaNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Resolves a local `$ref` (`#`, `#/definitions/x`, `#/$defs/x`); other references cannot be followed. */
function resolveLocalRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  if (!ref.startsWith("#")) return undefined;
  const pointer = ref.slice(1);
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const token = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isNode(node)) node = node[token];
    else return undefined;
  }
  return isNode(node) ? node : undefined;
}

/** Walks the traits schema and lists its extension sites. */
export function planExtensions(schema: SchemaNode): ExtensionPlan {
  const sites: ExtensionSite[] = [];
  const seen = new Set<string>();
  const onPath = new Set<SchemaNode>();

  const walk = (node: unknown, path: string[]): void => {
    if (!isNode(node) || onPath.has(node)) return; // recursive schemas: stop at the cycle
    onPath.add(node);
    if (typeof node.$ref === "string") walk(resolveLocalRef(schema, node.$ref), path);
    const config = node[EXTENSION_KEY];
    if (isNode(config)) {
      const format = typeof node.format === "string" ? node.format : undefined;
      const key = JSON.stringify([path, format, config]);
      if (!seen.has(key)) {
        seen.add(key);
        sites.push({ path, format, config: config as ExtensionConfig });
      }
    }
    if (isNode(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) walk(child, [...path, name]);
    }
    if (isNode(node.items)) walk(node.items, [...path, "*"]);
    const tuple = Array.isArray(node.prefixItems)
      ? node.prefixItems
      : Array.isArray(node.items)
        ? node.items
        : [];
    for (const [index, child] of tuple.entries()) walk(child, [...path, String(index)]);
    for (const keyword of BRANCHES) {
      const branches = node[keyword];
      if (Array.isArray(branches)) for (const branch of branches) walk(branch, path);
    }
    for (const keyword of CONDITIONALS) walk(node[keyword], path);
    onPath.delete(node);
  };

  const traits = isNode(schema.properties) ? schema.properties.traits : undefined;
  walk(traits, []);

  const identifierTypes = (["password", "webauthn", "code"] as const).filter((type) =>
    sites.some((site) => site.config.credentials?.[type]?.identifier === true),
  );
  return { sites, identifierTypes };
}
