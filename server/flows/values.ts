import type { FormValues, ParsedBody } from "../http/body.ts";
import { HttpError } from "../http/errors.ts";
import { isDecodeError, jsonToFormValues } from "../methods/decode.ts";

/** "JSON follows form format" (contract §5.2): both body kinds become form values for the decoders. */
export function toFormValues(body: ParsedBody): { values: FormValues } | { error: HttpError } {
  if (body.kind === "form") return { values: body.values };
  const values = jsonToFormValues(body.value);
  if (isDecodeError(values)) return { error: new HttpError(400, { reason: values.reason }) };
  return { values };
}
