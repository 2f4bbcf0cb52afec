import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/schema.ts";
import { BUILT_IN_TEMPLATES } from "./builtin-templates.ts";
import type { EmailRenderer, RenderedEmail, TemplateType } from "./courier.ts";
import { type CompiledTemplate, compileGoTemplate } from "./go-template.ts";

/**
 * The email templates in use: for each of Kratos's template names and each part (subject, HTML
 * body, plaintext body) the first of
 *   1. `courier.templates.<name>.<valid|invalid>.email.{subject, body.html, body.plaintext}`
 *      (`<name>.email…` for `verifiable_address_changed`), a URL (file://, base64://, http(s)://)
 *      of a template text;
 *   2. `<courier.template_override_path>/<name>/<valid|invalid>/email.{subject,body,body.plaintext}.gotmpl`;
 *   3. Kratos's built-in text.
 * All are read and parsed at start, so a broken override stops the server instead of a mail.
 */

type Part = "subject" | "html" | "plaintext";

/** Kratos's file names inside a template folder. */
const PART_FILES: Record<Part, string> = {
  subject: "email.subject.gotmpl",
  html: "email.body.gotmpl",
  plaintext: "email.body.plaintext.gotmpl",
};

/** A template override that cannot be read or parsed: a configuration problem, reported at start. */
export class TemplateLoadError extends ConfigError {}

type CompiledParts = Record<Part, CompiledTemplate>;

export interface EmailTemplates {
  render: EmailRenderer;
}

/** Reads every override the configuration names and compiles all templates. */
export async function loadEmailTemplates(
  courier: Config["courier"],
  options: { fetch?: typeof fetch } = {},
): Promise<EmailTemplates> {
  const compiled = new Map<TemplateType, CompiledParts>();
  for (const type of Object.keys(BUILT_IN_TEMPLATES) as TemplateType[]) {
    const parts = {} as CompiledParts;
    for (const part of ["subject", "html", "plaintext"] as const) {
      const { source, origin } = await templateSource(courier, type, part, options.fetch ?? globalThis.fetch);
      try {
        parts[part] = compileGoTemplate(source, { name: origin, html: part === "html" });
      } catch (err) {
        throw new TemplateLoadError(`courier template ${origin} does not parse: ${(err as Error).message}`);
      }
    }
    compiled.set(type, parts);
  }
  return {
    render(email): RenderedEmail {
      const parts = compiled.get(email.template);
      if (!parts) throw new Error(`unknown courier template ${email.template}`);
      return {
        // Kratos trims the subject (a template file usually ends with a newline).
        subject: parts.subject.render(email.model).trim(),
        body: parts.plaintext.render(email.model),
        html: parts.html.render(email.model),
      };
    },
  };
}

function overrideUrl(courier: Config["courier"], type: TemplateType, part: Part): string | undefined {
  const [name, validity] = type.split(".") as [string, "valid" | "invalid" | undefined];
  const byName = courier.templates as
    | Record<string, Partial<Record<"valid" | "invalid" | "email", unknown>> | undefined>
    | undefined;
  // `<name>.<valid|invalid>.email`, or `<name>.email` for a template with one variant.
  const holder = validity === undefined ? byName?.[name] : byName?.[name]?.[validity];
  const email = (holder as { email?: EmailOverride } | undefined)?.email;
  if (!email) return undefined;
  return part === "subject" ? email.subject : email.body?.[part];
}

interface EmailOverride {
  subject?: string | undefined;
  body?: { plaintext?: string | undefined; html?: string | undefined } | undefined;
}

async function templateSource(
  courier: Config["courier"],
  type: TemplateType,
  part: Part,
  fetcher: typeof fetch,
): Promise<{ source: string; origin: string }> {
  const url = overrideUrl(courier, type, part);
  if (url)
    return { source: await readTemplateUrl(url, fetcher), origin: `courier.templates ${type} ${part}` };
  const folder = courier.template_override_path;
  if (folder) {
    const file = join(folder, ...type.split("."), PART_FILES[part]);
    if (existsSync(file)) return { source: readFileSync(file, "utf8"), origin: file };
  }
  return { source: BUILT_IN_TEMPLATES[type][part], origin: `${type} ${part}` };
}

/** The URL forms Kratos's fetcher reads templates from. */
export async function readTemplateUrl(
  url: string,
  fetcher: typeof fetch = globalThis.fetch,
): Promise<string> {
  if (url.startsWith("base64://")) {
    const encoded = url.slice("base64://".length);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(encoded)) {
      throw new TemplateLoadError(`courier template ${shorten(url)} is not valid base64`);
    }
    return Buffer.from(encoded, "base64").toString("utf8");
  }
  if (url.startsWith("file://")) {
    try {
      return readFileSync(fileURLToPath(url), "utf8");
    } catch (err) {
      throw new TemplateLoadError(`courier template ${url} cannot be read: ${(err as Error).message}`);
    }
  }
  if (/^https?:\/\//.test(url)) {
    const response = await fetcher(url).catch((err: Error) => {
      throw new TemplateLoadError(`courier template ${url} cannot be fetched: ${err.message}`);
    });
    if (!response.ok) throw new TemplateLoadError(`courier template ${url} answered ${response.status}`);
    return response.text();
  }
  throw new TemplateLoadError(
    `courier template ${shorten(url)} must be a file://, base64:// or http(s):// URL`,
  );
}

function shorten(url: string): string {
  return url.length > 40 ? `${url.slice(0, 40)}…` : url;
}
