import { errors } from "../request/errors.ts";

/**
 * Renders a web hook's request body (contract §11.6). Kratos evaluates the jsonnet template named by
 * `config.body` (`file://`, `http(s)://`, `base64://`) with the template context as top-level argument
 * `ctx`; a template that raises `error "cancel"` skips the call.
 *
 * Tessera has no jsonnet evaluator yet, so only the default body is supported: without a template the
 * context itself is sent (what the template `function(ctx) ctx` yields). A configured template fails at
 * call time with a 500 that says so, rather than sending something the template did not ask for.
 *
 * This function is the single swap point: an implementation backed by a real evaluator fetches the
 * template, evaluates it with `ctx` as TLA and maps a `cancel` runtime error to `{ kind: "cancel" }`.
 */
export type RenderedBody = { kind: "body"; value: unknown } | { kind: "cancel" };

export type BodyTemplateEvaluator = (templateUri: string | undefined, ctx: object) => Promise<RenderedBody>;

export const evaluateBodyTemplate: BodyTemplateEvaluator = async (templateUri, ctx) => {
  if (templateUri === undefined || templateUri === "") return { kind: "body", value: ctx };
  throw errors.internal(
    "A web_hook is configured with a body template, but Tessera cannot evaluate jsonnet templates yet. " +
      "Remove `body` from the hook configuration to send the default payload (the template context).",
  );
};
