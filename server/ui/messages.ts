import type { UiText } from "#shared/ui.ts";
import { catalog, type MessageId } from "./catalog.ts";

/** Fills Go-style verbs (%s %d %v %q %.2f) in order, the way Kratos formats its catalog texts. */
export function goFormat(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%(\.2f|[sdvq])/g, (_, verb: string) => {
    const arg = args[i++];
    if (verb === ".2f") return Number(arg).toFixed(2);
    if (verb === "q") return JSON.stringify(String(arg));
    return String(arg);
  });
}

/**
 * Builds a catalog message. `args` fill the text's verbs; `context` is attached as-is
 * (omitted when empty). Messages whose whole text is a context value (a schema title, a
 * reason) take that text through `args[0]`.
 */
export function message(
  id: MessageId,
  args: readonly unknown[] = [],
  context?: Record<string, unknown>,
): UiText {
  const entry = catalog[id];
  const text = entry.text.startsWith("<") ? String(args[0] ?? "") : goFormat(entry.text, args);
  const out: UiText = { id, text, type: entry.type };
  if (context && Object.keys(context).length > 0) out.context = context;
  return out;
}

/** Message 4000001: a generic validation error whose text is the reason itself. */
export function reasonMessage(reason: string): UiText {
  return message(4000001, [reason], { reason });
}
