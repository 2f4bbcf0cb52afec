import { z } from "zod";

/** A user-facing message: numeric id from the catalog, its text, type and context (contract §2.3). */
export const uiText = z.object({
  id: z.number().int(),
  text: z.string(),
  type: z.enum(["info", "error", "success"]),
  context: z.record(z.string(), z.unknown()).optional(),
});
export type UiText = z.infer<typeof uiText>;

export const nodeGroup = z.enum([
  "default",
  "password",
  "oidc",
  "profile",
  "link",
  "code",
  "totp",
  "lookup_secret",
  "webauthn",
  "passkey",
  "identifier_first",
  "captcha",
  "saml",
  "deviceauthn",
]);
export type NodeGroup = z.infer<typeof nodeGroup>;

export const inputAttributes = z.object({
  name: z.string(),
  type: z.string(),
  value: z.unknown().optional(),
  required: z.boolean().optional(),
  autocomplete: z.string().optional(),
  label: uiText.optional(),
  pattern: z.string().optional(),
  disabled: z.boolean(),
  maxlength: z.number().int().optional(),
  options: z.array(z.object({ value: z.unknown() })).optional(),
  onclickTrigger: z.string().optional(),
  onloadTrigger: z.string().optional(),
  node_type: z.literal("input"),
});
export type InputAttributes = z.infer<typeof inputAttributes>;

export const textAttributes = z.object({ text: uiText, id: z.string(), node_type: z.literal("text") });
export const imgAttributes = z.object({
  src: z.string(),
  id: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  node_type: z.literal("img"),
});
export const anchorAttributes = z.object({
  href: z.string(),
  title: uiText,
  id: z.string(),
  node_type: z.literal("a"),
});

export const nodeAttributes = z.discriminatedUnion("node_type", [
  inputAttributes,
  textAttributes,
  imgAttributes,
  anchorAttributes,
]);

export const uiNode = z.object({
  type: z.enum(["input", "text", "img", "a", "script", "div"]),
  group: nodeGroup,
  attributes: nodeAttributes,
  messages: z.array(uiText),
  meta: z.object({ label: uiText.optional() }),
});
export type UiNode = z.infer<typeof uiNode>;
export type InputNode = UiNode & { type: "input"; attributes: InputAttributes };

export const uiContainer = z.object({
  action: z.string(),
  method: z.string(),
  nodes: z.array(uiNode),
  messages: z.array(uiText).optional(),
});
export type UiContainer = z.infer<typeof uiContainer>;
