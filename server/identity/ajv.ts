import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import type AjvCore from "ajv/dist/core.js";
import { registerFormats } from "./formats.ts";

/** The JSON Schema dialects Tessera can compile; draft-07 is what Kratos's validator speaks. */
export type SchemaDialect = "draft-07" | "2019-09" | "2020-12";

const DIALECTS: Record<string, SchemaDialect> = {
  "json-schema.org/schema": "2020-12",
  "json-schema.org/draft-06/schema": "draft-07",
  "json-schema.org/draft-07/schema": "draft-07",
  "json-schema.org/draft/2019-09/schema": "2019-09",
  "json-schema.org/draft/2020-12/schema": "2020-12",
};

/**
 * Picks the dialect from `$schema`; no `$schema` means draft-07. Throws on dialects Ajv 8 cannot
 * compile (draft-04). Callers compile without the root `$schema` so that spelling variants
 * (https, trailing `#`, draft-06) do not need their own meta-schemas.
 */
export function dialectOf(schema: Record<string, unknown>): SchemaDialect {
  const declared = schema.$schema;
  if (declared === undefined) return "draft-07";
  const key = String(declared)
    .replace(/^https?:\/\//, "")
    .replace(/#$/, "");
  const dialect = DIALECTS[key];
  if (!dialect)
    throw new Error(`unsupported "$schema" ${JSON.stringify(declared)} (use draft-07, 2019-09 or 2020-12)`);
  return dialect;
}

/**
 * A validator factory configured like Kratos's: every error reported (allErrors), unknown
 * keywords such as "ory.sh/kratos" tolerated (strict: false), the offending data attached to
 * errors (verbose) because messages quote it, and Kratos's formats registered.
 */
export function createAjv(
  dialect: SchemaDialect = "draft-07",
  tuning: { validateSchema?: boolean } = {},
): AjvCore {
  const options = {
    // Checking each schema against its meta-schema costs ~15 ms per instance; callers that
    // already checked (the registry, against the identity meta-schema) switch it off.
    validateSchema: tuning.validateSchema ?? true,
    allErrors: true,
    strict: false,
    verbose: true,
    logger: false as const,
    // Float arithmetic would otherwise reject 0.3 as a multiple of 0.1.
    multipleOfPrecision: 9,
  };
  let ajv: AjvCore;
  if (dialect === "2020-12") ajv = new Ajv2020(options);
  else if (dialect === "2019-09") ajv = new Ajv2019(options);
  else ajv = new Ajv(options);
  registerFormats(ajv);
  return ajv;
}
