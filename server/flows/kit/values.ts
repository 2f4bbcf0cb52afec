import { isDecodeError, jsonToFormValues } from "../../decoding/form-values.ts";
import type { FormValues, ParsedBody } from "../../request/body.ts";
import { HttpError } from "../../request/errors.ts";

/** "JSON follows form format" (contract §5.2): both body kinds become form values for the decoders. */
export function toFormValues(body: ParsedBody): { values: FormValues } | { error: HttpError } {
  if (body.kind === "form") return { values: body.values };
  const values = jsonToFormValues(body.value);
  if (isDecodeError(values)) return { error: new HttpError(400, { reason: values.reason }) };
  return { values };
}
