import type AjvCore from "ajv/dist/core.js";
import addFormats, { type FormatName } from "ajv-formats";
import { isEmail, isEmailLoose } from "./email.ts";
import { isPhone } from "./phone.ts";

/**
 * String formats known to Kratos's validator. ajv-formats supplies the standard ones; Kratos's
 * own (`email` with Go's rules, `email_loose`, `tel`, `no-validate`) and Go's aliases are added
 * here. Formats nobody knows are ignored, as in Kratos (the Ajv logger is off).
 */

const STANDARD: FormatName[] = [
  "date",
  "time",
  "date-time",
  "duration",
  "uri",
  "uri-reference",
  "uri-template",
  "url",
  "hostname",
  "ipv4",
  "ipv6",
  "regex",
  "uuid",
  "json-pointer",
  "json-pointer-uri-fragment",
  "relative-json-pointer",
];

/** IRIs allow any Unicode, so only the overall shape is checked: a scheme, and no blanks. */
const IRI = /^[a-z][a-z0-9+.-]*:[^\s]*$/iu;
const IRI_REFERENCE = /^[^\s]*$/u;

const always = () => true;

export function registerFormats(ajv: AjvCore): void {
  addFormats(ajv, { mode: "full", formats: STANDARD, keywords: false });
  const get = (name: string) => ajv.formats[name];
  ajv.addFormat("email", { type: "string", validate: isEmail });
  ajv.addFormat("email_loose", { type: "string", validate: isEmailLoose });
  ajv.addFormat("tel", { type: "string", validate: isPhone });
  ajv.addFormat("no-validate", { type: "string", validate: always });
  // Older Kratos schemas spell it "noformat".
  ajv.addFormat("noformat", { type: "string", validate: always });
  // Aliases the Go validator accepts.
  const ipv4 = get("ipv4");
  const uriReference = get("uri-reference");
  if (ipv4) ajv.addFormat("ip-address", ipv4);
  if (uriReference) ajv.addFormat("uriref", uriReference);
  ajv.addFormat("iri", IRI);
  ajv.addFormat("iri-reference", IRI_REFERENCE);
}
