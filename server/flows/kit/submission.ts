import type { UiText } from "#shared/ui.ts";
import type { FlowRecord } from "../../../db/store.ts";
import type { AppDeps } from "../../deps.ts";
import type { FormValues } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors, HttpError } from "../../request/errors.ts";
import { dispatch, type FlowStrategies } from "../methods.ts";
import { checkCsrf } from "./csrf.ts";
import { type FlowIssue, reasonMessage, toFormValues } from "./form.ts";
import type { Caller, FlowOutcome, SubmitInput } from "./outcome.ts";

function isJsonObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A step that either produced its value or already knows the answer. */
export type Step<T> = { ok: true; value: T } | { ok: false; outcome: FlowOutcome };

/**
 * The steps every flow's submission takes in the same way (contract §4.4.1, §16): read the body as
 * form values, pick the method, check CSRF. A flow's submission class extends this and says how it
 * shows issues (`fail`).
 */
export abstract class FlowSubmission {
  /** The method the submission was for, once picked (labels the flow-outcome metric). */
  method: string | undefined;

  constructor(
    readonly deps: AppDeps,
    readonly ctx: RequestContext,
    readonly flow: FlowRecord,
    readonly caller: Caller,
  ) {}

  get json(): boolean {
    return this.caller.json || this.flow.type === "api";
  }

  /** The flow again with these messages (400). */
  abstract fail(issues: readonly FlowIssue[]): Promise<FlowOutcome>;

  /** One message for the whole form. */
  failGlobal(text: UiText): Promise<FlowOutcome> {
    return this.fail([{ path: "", message: text }]);
  }

  /**
   * The body as form values; a body that cannot be read is a 400 shown as message 4000001. Login and
   * registration pick the method before decoding (contract §16.1 step 4), so for them a JSON body
   * that is not an object names no method (`methodFirst`) instead of failing to decode.
   */
  async readValues(input: SubmitInput, opts: { methodFirst?: boolean } = {}): Promise<Step<FormValues>> {
    try {
      if (!input.readPayload) throw errors.badRequest("The request body is missing.");
      const body = await input.readPayload();
      if (opts.methodFirst && body.kind === "json" && !isJsonObject(body.value))
        return { ok: true, value: new Map() };
      return { ok: true, value: toFormValues(body) };
    } catch (err) {
      if (err instanceof HttpError && err.code === 400) {
        return { ok: false, outcome: await this.failGlobal(reasonMessage(err)) };
      }
      throw err;
    }
  }

  /**
   * The enabled method the submission is for. None: the flow again with `none` (4010002, 4010003,
   * 4010004); a method that is switched off: 404 (contract §4.4.1 step 6).
   */
  async pick<K extends keyof FlowStrategies>(
    flow: K,
    values: FormValues,
    none: UiText,
  ): Promise<Step<FlowStrategies[K]>> {
    const strategy = dispatch(this.deps.methods, this.deps.config, flow, values);
    if (strategy === undefined) return { ok: false, outcome: await this.failGlobal(none) };
    if (strategy === "disabled")
      return { ok: false, outcome: { kind: "error", error: errors.methodDisabled() } };
    this.method = strategy.method;
    return { ok: true, value: strategy };
  }

  /** The CSRF rule (kit/csrf.ts): a 400 is shown in the flow, a 403 is an error. Undefined: passed. */
  async csrfRefusal(values: FormValues): Promise<FlowOutcome | undefined> {
    const violation = checkCsrf(this.ctx, this.flow, values);
    if (!violation) return undefined;
    if (violation.code !== 400) return { kind: "error", error: violation };
    return this.fail([{ path: "", message: reasonMessage(violation) }]);
  }
}
