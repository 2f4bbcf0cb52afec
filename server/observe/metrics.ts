import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../../db/store.ts";
import { InPlaceHistogram } from "./in-place-histogram.ts";

/**
 * The Prometheus metrics of one app (served at `GET /metrics/prometheus` on the admin listener, as
 * Kratos does). Each app has its own registry: nothing is registered on prom-client's global one,
 * so two apps in one process (tests) never share counters.
 */
export interface Metrics {
  readonly registry: Registry;
  /** One answered request: listener, method, route pattern (not the raw path) and status. */
  request(listener: string, method: string, route: string, status: number, seconds: number): void;
  /** A flow submission's outcome (`success`, `invalid`, `error`, `redirect`, …) per flow and method. */
  flowOutcome(flow: string, method: string, result: string): void;
  /** A recorder of one timed call, made once per operation name. */
  hashTimer(operation: string): (seconds: number) => void;
  storeTimer(operation: string): (seconds: number) => void;
}

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Seconds; request and store buckets reach from sub-millisecond reads to slow hashing. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const HASH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

export interface MetricsOptions {
  /** Also export the process's own metrics (CPU, memory, event loop lag); the server turns it on. */
  process?: boolean;
  /** The courier queue's depth is read from the store at scrape time. */
  store?: Store;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.process) collectDefaultMetrics({ register: registry });
  // Observed on every request and store call: counted in place (see in-place-histogram.ts).
  const latency = new InPlaceHistogram(registry, {
    name: "http_request_duration_seconds",
    help: "Time until the answer's headers, by listener, method, route pattern and status",
    buckets: REQUEST_BUCKETS,
    counter: {
      name: "http_requests_total",
      help: "HTTP requests answered, by listener, method, route pattern and status",
    },
  });
  const flows = new Counter({
    name: "tessera_flow_submissions_total",
    help: "Self-service flow submissions by flow, method and result",
    labelNames: ["flow", "method", "result"] as const,
    registers: [registry],
  });
  const hashing = new Histogram({
    name: "tessera_password_hash_duration_seconds",
    help: "Password hashing and verification time by operation",
    labelNames: ["operation"] as const,
    buckets: HASH_BUCKETS,
    registers: [registry],
  });
  const store = new InPlaceHistogram(registry, {
    name: "tessera_store_query_duration_seconds",
    help: "Time of each store call (one or more queries) by operation",
    buckets: STORE_BUCKETS,
  });
  const perRequest = new Map<string, (seconds: number) => void>();
  const db = options.store;
  if (db) {
    new Gauge({
      name: "tessera_courier_queue_depth",
      help: "Messages waiting in the courier queue (status queued)",
      registers: [registry],
      async collect() {
        this.set(await queuedMessages(db));
      },
    });
  }
  return {
    registry,
    request(listener, method, route, status, seconds) {
      const known = KNOWN_METHODS.has(method) ? method : "OTHER";
      // One recorder per label set (bounded: route patterns, not raw paths, and the few methods
      // and statuses).
      const key = `${listener} ${known} ${status} ${route}`;
      let observe = perRequest.get(key);
      if (!observe) {
        observe = latency.child({ listener, method: known, route, status: String(status) });
        perRequest.set(key, observe);
      }
      observe(seconds);
    },
    flowOutcome(flow, method, result) {
      flows.inc({ flow, method, result });
    },
    hashTimer(operation) {
      const child = hashing.labels({ operation });
      return (seconds) => child.observe(seconds);
    },
    storeTimer(operation) {
      return store.child({ operation });
    },
  };
}

/** Counted by the store when it can (`countMessages`), else by listing up to a bound. */
async function queuedMessages(store: Store): Promise<number> {
  const counting = store as Store & {
    countMessages?: (q: { status?: "queued" }) => Promise<number>;
  };
  if (typeof counting.countMessages === "function") return counting.countMessages({ status: "queued" });
  return (await store.listMessages({ status: "queued", limit: 10_000 })).length;
}

/**
 * The same object with each method call timed (for the store and the hasher). Methods run on the
 * original (their private fields need it); a call answering a promise is timed until it settles.
 * Properties that are not methods are read through. Built once per app, so a call costs two clock
 * reads and one observation.
 */
export function timedCalls<T extends object>(
  target: T,
  timer: (operation: string) => (seconds: number) => void,
  only: (name: string) => boolean = () => true,
): T {
  const wrapper: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (seen.has(name) || name === "constructor") continue;
      seen.add(name);
      const desc = Object.getOwnPropertyDescriptor(o, name)!;
      // Read methods through the target itself, not the descriptor: a Proxy's get trap may bind
      // or replace them (tests observe stores that way).
      const value: unknown = desc.get ? undefined : (target as Record<string, unknown>)[name];
      if (desc.get || typeof value !== "function") {
        Object.defineProperty(wrapper, name, {
          get: () => (target as Record<string, unknown>)[name],
          enumerable: true,
        });
        continue;
      }
      // Looked up at each call, so a method replaced on the target later (a test's stub) is used.
      const call = (args: unknown[]) =>
        ((target as Record<string, unknown>)[name] as (...a: unknown[]) => unknown).apply(target, args);
      if (!only(name)) {
        wrapper[name] = (...args: unknown[]) => call(args);
        continue;
      }
      const record = timer(name);
      wrapper[name] = (...args: unknown[]) => {
        const start = performance.now();
        const out = call(args);
        if (out instanceof Promise) {
          // Not `finally`: it costs a second promise and two more microtask turns per call.
          return out.then(
            (value) => {
              record((performance.now() - start) / 1000);
              return value;
            },
            (error: unknown) => {
              record((performance.now() - start) / 1000);
              throw error;
            },
          );
        }
        record((performance.now() - start) / 1000);
        return out;
      };
    }
  }
  return wrapper as T;
}
