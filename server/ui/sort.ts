/**
 * Node ordering (contract §3.6), applied when a flow is created and after every error render.
 *
 * Order: the CSRF node first; then by group rank; within a group by "key position" (index of the
 * first key that is a string prefix of the node's name, the `method` button last); ties by the
 * node value's Go-style text. The sort is stable, so anything still equal keeps its order.
 */
import type { UiNode } from "#shared/ui.ts";

/** Groups in display order; a group not listed ranks -1 and so comes before `default`. */
const GROUP_ORDER: readonly string[] = [
  "default",
  "profile",
  "password",
  "oidc",
  "lookup_secret",
  "webauthn",
  "passkey",
  "totp",
];

/** Keys Kratos appends after the identity schema's keys, ordering the second-factor nodes. */
const METHOD_KEYS: readonly string[] = [
  "lookup_secret_reveal",
  "lookup_secret_regenerate",
  "lookup_secret_codes",
  "lookup_secret_confirm",
  "webauthn_remove",
  "webauthn_register_displayname",
  "webauthn_register",
  "passkey_remove",
  "passkey_register",
  "totp_qr",
  "totp_secret_key",
  "totp_unlink",
  "totp_code",
];

function attributesOf(node: UiNode): Record<string, unknown> {
  return node.attributes as unknown as Record<string, unknown>;
}

/** A node's identity: an input's name, any other node's id. */
function nodeId(node: UiNode): string {
  const attributes = attributesOf(node);
  const id = node.type === "input" ? attributes.name : attributes.id;
  return typeof id === "string" ? id : "";
}

/** The value Kratos compares on ties: input value, image/script src, link href, text's text. */
function nodeValue(node: UiNode): unknown {
  const attributes = attributesOf(node);
  switch (node.type) {
    case "input":
      return attributes.value;
    case "a":
      return attributes.href;
    case "text":
      return (attributes.text as { text?: unknown } | undefined)?.text;
    default:
      return attributes.src;
  }
}

/** Go's `fmt.Sprintf("%v", v)` for the values nodes carry. */
function goText(value: unknown): string {
  if (value === undefined || value === null) return "<nil>";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map(goText).join(" ")}]`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function keyPosition(id: string, keyOrder: readonly string[]): number {
  if (id === "method") return Number.POSITIVE_INFINITY;
  for (let i = 0; i < keyOrder.length; i++) {
    if (id.startsWith(keyOrder[i]!)) return i;
  }
  for (let i = 0; i < METHOD_KEYS.length; i++) {
    if (id.startsWith(METHOD_KEYS[i]!)) return keyOrder.length + i;
  }
  return keyOrder.length + METHOD_KEYS.length;
}

/**
 * Returns the nodes in Kratos order (a new array; the nodes themselves are not copied).
 * `keyOrder` is the identity schema's `schemaKeyOrder`, computed once per schema.
 */
export function sortNodes<T extends UiNode>(nodes: readonly T[], keyOrder: readonly string[]): T[] {
  // Unknown groups share rank -1; keeping them apart in order of first appearance keeps the
  // comparison consistent (Kratos only ever compares nodes of one group beyond the rank).
  const unknownGroups: string[] = [];
  // Each node's sort key is computed once, not on every comparison.
  const decorated = nodes.map((node) => {
    const id = nodeId(node);
    const rank = GROUP_ORDER.indexOf(node.group);
    if (rank === -1 && !unknownGroups.includes(node.group)) unknownGroups.push(node.group);
    return {
      node,
      csrf: node.type === "input" && id === "csrf_token",
      rank,
      unknownGroup: rank === -1 ? unknownGroups.indexOf(node.group) : 0,
      position: keyPosition(id, keyOrder),
      value: goText(nodeValue(node)),
    };
  });
  decorated.sort((a, b) => {
    if (a.csrf !== b.csrf) return a.csrf ? -1 : 1;
    if (a.rank !== b.rank) return a.rank - b.rank;
    if (a.unknownGroup !== b.unknownGroup) return a.unknownGroup - b.unknownGroup;
    if (a.position !== b.position) return a.position < b.position ? -1 : 1;
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  });
  return decorated.map((d) => d.node);
}
