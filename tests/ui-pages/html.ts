/**
 * A tiny HTML reader for the built-in UI tests: forms with their fields and buttons, links, ids and
 * labels. Regex-based on purpose; it only has to understand the markup the server itself writes.
 */

export function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The attributes of one start tag's inner text (`name="v" required …`), values decoded. */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

export interface Tag {
  attrs: Record<string, string>;
  /** Inner HTML (buttons, links, labels, selects). */
  inner: string;
  /** Inner text with tags stripped and entities decoded. */
  text: string;
}

export function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ""))
    .replace(/\s+/g, " ")
    .trim();
}

function tags(html: string, name: string, hasEnd: boolean): Tag[] {
  const re = hasEnd
    ? new RegExp(`<${name}\\b([^>]*)>([\\s\\S]*?)</${name}>`, "gi")
    : new RegExp(`<${name}\\b([^>]*)>`, "gi");
  return [...html.matchAll(re)].map((m) => ({
    attrs: attributes(m[1] ?? ""),
    inner: m[2] ?? "",
    text: textOf(m[2] ?? ""),
  }));
}

export const inputs = (html: string) => tags(html, "input", false);
export const buttons = (html: string) => tags(html, "button", true);
export const selects = (html: string) => tags(html, "select", true);
export const labels = (html: string) => tags(html, "label", true);
export const links = (html: string) => tags(html, "a", true);
export const headings = (html: string) => tags(html, "h1", true);

export interface Form {
  attrs: Record<string, string>;
  action: string;
  method: string;
  html: string;
  /** Successful controls a browser would send without a button: [name, value] pairs in order. */
  fields: [string, string][];
  buttons: Tag[];
}

export function forms(html: string): Form[] {
  return tags(html, "form", true).map((f) => {
    const fields: [string, string][] = [];
    for (const m of f.inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>|<input\b([^>]*)>/gi)) {
      const a = attributes(m[1] ?? m[3] ?? "");
      if (!a.name || "disabled" in a) continue;
      if (m[1] !== undefined) {
        const chosen = tags(m[2] ?? "", "option", true).find((o) => "selected" in o.attrs);
        fields.push([a.name, chosen?.attrs.value ?? ""]);
        continue;
      }
      const type = (a.type ?? "text").toLowerCase();
      if (type === "submit" || type === "button" || type === "image" || type === "reset") continue;
      if ((type === "checkbox" || type === "radio") && !("checked" in a)) continue;
      fields.push([a.name, a.value ?? (type === "checkbox" ? "on" : "")]);
    }
    return {
      attrs: f.attrs,
      action: f.attrs.action ?? "",
      method: (f.attrs.method ?? "get").toUpperCase(),
      html: f.inner,
      fields,
      buttons: buttons(f.inner),
    };
  });
}

/** The form whose buttons include one named `name` with value `value` (e.g. method=profile). */
export function formWithButton(html: string, name: string, value: string): Form {
  const found = forms(html).find((f) =>
    f.buttons.some((b) => b.attrs.name === name && b.attrs.value === value),
  );
  if (!found) throw new Error(`no form with a ${name}=${value} button`);
  return found;
}

/**
 * The urlencoded body a browser would post: the form's fields with `set` applied (replacing a field
 * of that name, or adding it), then the clicked button's name=value.
 */
export function submission(
  form: Form,
  set: Record<string, string>,
  button?: { name: string; value: string },
): URLSearchParams {
  const body = new URLSearchParams();
  const pending = new Map(Object.entries(set));
  for (const [name, value] of form.fields) {
    if (pending.has(name)) {
      body.append(name, pending.get(name)!);
      pending.delete(name);
    } else body.append(name, value);
  }
  for (const [name, value] of pending) body.append(name, value);
  if (button) body.append(button.name, button.value);
  return body;
}

/** The element with the given id (its start tag attributes and, for paired tags, text). */
export function byId(html: string, id: string): { tag: string; attrs: Record<string, string> } | undefined {
  for (const m of html.matchAll(/<([a-z0-9]+)\b([^>]*)>/gi)) {
    const a = attributes(m[2] ?? "");
    if (a.id === id) return { tag: m[1]!.toLowerCase(), attrs: a };
  }
  return undefined;
}

/** Text of the element with `id` (paired tags only; not for elements nesting their own tag). */
export function textById(html: string, id: string): string | undefined {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`<([a-z0-9]+)\\b[^>]*\\bid="${escaped}"[^>]*>([\\s\\S]*?)</\\1>`, "i").exec(html);
  return m ? textOf(m[2] ?? "") : undefined;
}

/** The inner text of every element carrying `role="…"`. */
export function regions(html: string, role: string): string[] {
  return [...html.matchAll(/<div\b([^>]*)>([\s\S]*?)<\/div>/gi)]
    .filter((m) => attributes(m[1] ?? "").role === role)
    .map((m) => textOf(m[2] ?? ""));
}
