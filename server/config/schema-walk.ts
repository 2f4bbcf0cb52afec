import type { KeyPath } from "./errors.ts";

/**
 * Which keys a JSON Schema names, walked key by key. Used with two schemas: Tessera's (derived from
 * the zod schema) and Kratos's (vendored). A key is "known" where a schema names it (`properties`,
 * a matching `patternProperties`, or an `additionalProperties` schema); a node that names no key
 * at all and does not forbid extra keys (a free-form map such as web hook headers, or Kratos's
 * `tracing`, whose schema lives outside the file) knows every key below it. A key a schema merely
 * tolerates next to named ones is not "known": that is where typos hide.
 */
export type SchemaNode = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode | SchemaNode[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  allOf?: SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  else?: SchemaNode;
  [other: string]: unknown;
};

/** A node that knows everything below it. */
export const OPEN: SchemaNode = {};

export class SchemaWalker {
  constructor(private readonly root: SchemaNode) {}

  /** The node and every node it defers to (`$ref` and the combinators), flattened. */
  expand(node: SchemaNode, seen = new Set<SchemaNode>()): SchemaNode[] {
    if (seen.has(node)) return [];
    seen.add(node);
    const out: SchemaNode[] = [node];
    const target = node.$ref === undefined ? undefined : this.resolveRef(node.$ref);
    if (target) out.push(...this.expand(target, seen));
    for (const list of [node.allOf, node.anyOf, node.oneOf]) {
      for (const child of list ?? []) out.push(...this.expand(child, seen));
    }
    for (const child of [node.then, node.else]) if (child) out.push(...this.expand(child, seen));
    return out;
  }

  /** The nodes describing `key` below `nodes`; empty when none names it; `[OPEN]` when any key goes. */
  child(nodes: readonly SchemaNode[], key: string | number): SchemaNode[] {
    const flat = nodes.flatMap((n) => this.expand(n));
    if (flat.includes(OPEN)) return [OPEN];
    if (typeof key === "number") {
      return flat.flatMap((n) => (n.items === undefined ? [] : Array.isArray(n.items) ? n.items : [n.items]));
    }
    const found: SchemaNode[] = [];
    let namesKeys = false;
    let open = false;
    for (const n of flat) {
      if (n.properties) {
        namesKeys = true;
        const hit = Object.hasOwn(n.properties, key) ? n.properties[key] : undefined;
        if (hit) found.push(hit);
      }
      if (n.patternProperties) {
        namesKeys = true;
        for (const [pattern, schema] of Object.entries(n.patternProperties)) {
          if (new RegExp(pattern, "u").test(key)) found.push(schema);
        }
      }
      if (typeof n.additionalProperties === "object") found.push(n.additionalProperties);
      else if (
        n.additionalProperties === undefined &&
        isObjectNode(n) &&
        !n.properties &&
        !n.patternProperties
      )
        open = true;
    }
    // `{}` (JSON Schema's "anything", e.g. a record of unknown values) leaves everything below open.
    if (found.some((n) => Object.keys(n).length === 0)) return [OPEN];
    if (found.length > 0) return found;
    return open && !namesKeys ? [OPEN] : [];
  }

  get top(): SchemaNode[] {
    return [this.root];
  }

  /** Whether a key path is named by the schema (or lies below a free-form node). */
  knows(path: KeyPath): boolean {
    let nodes = this.top;
    for (const segment of path) {
      nodes = this.child(nodes, segment as string | number);
      if (nodes.length === 0) return false;
      if (nodes.includes(OPEN)) return true;
    }
    return true;
  }

  private resolveRef(ref: string): SchemaNode | undefined {
    if (!ref.startsWith("#")) return OPEN; // outside the file (Kratos's ory://tracing-config): anything goes
    let node: unknown = this.root;
    for (const part of ref.slice(1).split("/").filter(Boolean)) {
      if (typeof node !== "object" || node === null) return undefined;
      node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return typeof node === "object" && node !== null ? (node as SchemaNode) : undefined;
  }
}

function isObjectNode(n: SchemaNode): boolean {
  const types = Array.isArray(n.type) ? n.type : n.type === undefined ? [] : [n.type];
  return types.includes("object");
}
