import { randomUUID } from "node:crypto";
import type { CourierMessageRecord, Store } from "../../db/store.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { parseDuration } from "../duration.ts";
import type { Logger } from "../logger.ts";
import { DeliveryError, type MailTransport, smtpTransport } from "./smtp.ts";

/**
 * Sends the queued messages. Each pass claims up to `courier.worker.pull_count` due messages
 * (an atomic claim in the store, so several processes on one database never take the same
 * message), sends each, and settles it:
 *
 *   queued ──claim──▶ processing ──sent──▶ sent
 *                        │ failed, retries left: queued again, not before now + back-off
 *                        │ failed, permanent (SMTP 5xx, bad address) or after
 *                        ▼ `courier.message_retries` retries: abandoned
 *
 * Every attempt is counted in `send_count` when claimed and recorded as a dispatch (Kratos's
 * `courier_message_dispatches`). A process that dies mid-send leaves its messages `processing`;
 * after `processingTimeoutMs` another dispatcher takes them over (at-least-once: such a message
 * may have left already). When the SMTP server cannot be reached at all the rest of the batch
 * goes back to the queue without counting an attempt, as Kratos stops a batch at the first error.
 */

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  courier: Config["courier"];
  /** Default: SMTP to `courier.smtp`. */
  transport?: MailTransport;
  /** How long a claim lasts before another dispatcher may take the message over. */
  processingTimeoutMs?: number;
  /** Delay before the retry after the `attempt`-th failed attempt. */
  backoff?: (attempt: number) => number;
  /** Schedules the next pass of `start()`; tests pass a manual one. */
  timer?: Timer;
}

export interface Timer {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface DrainResult {
  sent: number;
  retried: number;
  abandoned: number;
}

const realTimer: Timer = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** 1 s, 2 s, 4 s, … capped at 10 minutes. */
export const defaultBackoff = (attempt: number) => Math.min(1000 * 2 ** Math.max(attempt - 1, 0), 600_000);

const DEFAULT_PROCESSING_TIMEOUT_MS = 5 * 60_000;

/** Loose on purpose (Kratos accepts RFC 5322 or its own simpler pattern); SMTP has the last word. */
const EMAIL_ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

export class CourierDispatcher {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #transport: MailTransport;
  readonly #maxRetries: number;
  readonly #pullCount: number;
  readonly #pullWaitMs: number;
  readonly #processingTimeoutMs: number;
  readonly #backoff: (attempt: number) => number;
  readonly #timer: Timer;
  #handle: unknown;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(options: DispatcherOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#transport = options.transport ?? smtpTransport(options.courier.smtp);
    this.#maxRetries = options.courier.message_retries;
    this.#pullCount = options.courier.worker.pull_count;
    this.#pullWaitMs = parseDuration(options.courier.worker.pull_wait);
    this.#processingTimeoutMs = options.processingTimeoutMs ?? DEFAULT_PROCESSING_TIMEOUT_MS;
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#timer = options.timer ?? realTimer;
  }

  /** Sends everything due now, batch after batch, until nothing due is left. */
  async drain(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, abandoned: 0 };
    while (true) {
      const now = this.#clock.now();
      const batch = await this.#store.claimMessages({
        now,
        limit: this.#pullCount,
        stuckBefore: new Date(now.getTime() - this.#processingTimeoutMs),
      });
      if (batch.length === 0) return total;
      const result = await this.#dispatchBatch(batch);
      total.sent += result.sent;
      total.retried += result.retried;
      total.abandoned += result.abandoned;
      // A batch that hit an unreachable server ends the pass; the next one tries again.
      if (result.unreachable) return total;
    }
  }

  /** Drains every `courier.worker.pull_wait` until `stop()`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops the loop, waits for a pass in progress and closes the transport. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timer.clear(this.#handle);
    this.#handle = undefined;
    await this.#running;
    this.#transport.close();
  }

  #schedule(ms: number): void {
    this.#handle = this.#timer.set(() => {
      this.#handle = undefined;
      if (this.#stopped) return;
      this.#running = this.drain()
        .catch((err: unknown) => {
          this.#logger.error("courier pass failed", { error: (err as Error).message });
        })
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#schedule(this.#pullWaitMs);
        });
    }, ms);
  }

  async #dispatchBatch(batch: CourierMessageRecord[]): Promise<DrainResult & { unreachable: boolean }> {
    const result = { sent: 0, retried: 0, abandoned: 0, unreachable: false };
    for (const [i, message] of batch.entries()) {
      const outcome = await this.#dispatch(message);
      if (outcome === "unreachable") {
        result.retried++;
        result.unreachable = true;
        await this.#release(batch.slice(i + 1));
        break;
      }
      result[outcome]++;
    }
    return result;
  }

  /** Returns claimed messages to the queue untouched: the claim's attempt is taken back. */
  async #release(messages: CourierMessageRecord[]): Promise<void> {
    for (const message of messages) {
      await this.#store.settleMessage(message.id, message.updatedAt, {
        status: "queued",
        updatedAt: message.updatedAt,
        sendCount: message.sendCount - 1,
      });
    }
  }

  async #dispatch(message: CourierMessageRecord): Promise<keyof DrainResult | "unreachable"> {
    const log = {
      message_id: message.id,
      template_type: message.templateType,
      send_count: message.sendCount,
    };
    // sendCount already counts this attempt: attempt n + 1 is retry n.
    if (message.sendCount > this.#maxRetries + 1) {
      return this.#abandon(
        message,
        new DeliveryError("the message was not delivered after all retries", "permanent"),
      );
    }
    if (message.type !== "email" || !EMAIL_ADDRESS.test(message.recipient)) {
      return this.#abandon(
        message,
        new DeliveryError(
          `courier: email recipient for message ${message.id} is not a valid email address`,
          "permanent",
        ),
      );
    }
    try {
      await this.#transport.send({
        to: message.recipient,
        subject: message.subject,
        text: message.body,
        html: message.htmlBody ?? undefined,
      });
    } catch (err) {
      const failure =
        err instanceof DeliveryError
          ? err
          : new DeliveryError((err as Error).message ?? String(err), "transient");
      this.#logger.warn("courier could not deliver a message", { ...log, error: failure.message });
      if (failure.kind === "permanent" || message.sendCount > this.#maxRetries) {
        return this.#abandon(message, failure);
      }
      const now = this.#clock.now();
      await this.#settle(message, {
        status: "queued",
        updatedAt: now,
        sendAfter: new Date(now.getTime() + this.#backoff(message.sendCount)),
      });
      await this.#recordDispatch(message, failure);
      return failure.kind === "unreachable" ? "unreachable" : "retried";
    }
    await this.#settle(message, { status: "sent", updatedAt: this.#clock.now() });
    await this.#recordDispatch(message, undefined);
    this.#logger.debug("courier sent a message", log);
    return "sent";
  }

  async #abandon(message: CourierMessageRecord, failure: DeliveryError): Promise<"abandoned"> {
    this.#logger.warn("courier abandoned a message", {
      message_id: message.id,
      send_count: message.sendCount,
      error: failure.message,
    });
    await this.#settle(message, { status: "abandoned", updatedAt: this.#clock.now() });
    await this.#recordDispatch(message, failure);
    return "abandoned";
  }

  async #settle(
    message: CourierMessageRecord,
    changes: Parameters<Store["settleMessage"]>[2],
  ): Promise<void> {
    const settled = await this.#store.settleMessage(message.id, message.updatedAt, changes);
    if (!settled) {
      this.#logger.warn("courier message was taken over by another dispatcher", { message_id: message.id });
    }
  }

  async #recordDispatch(message: CourierMessageRecord, failure: DeliveryError | undefined): Promise<void> {
    const now = this.#clock.now();
    await this.#store.recordDispatch({
      id: randomUUID(),
      messageId: message.id,
      status: failure ? "failed" : "success",
      // Kratos stores herodot's error body for a failed attempt.
      error: failure
        ? {
            code: 500,
            status: "Internal Server Error",
            reason: "failed to send email via smtp",
            message: failure.message,
          }
        : null,
      createdAt: now,
      updatedAt: now,
    });
  }
}
