import assert from "node:assert/strict";
import { test } from "node:test";
import { timedCalls } from "../../server/observe/metrics.ts";
import { frontend, PASSWORD, registerNative, sdkError } from "../helpers/frontend.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { courierMessage } from "../store/fixtures.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format, the lines that carry samples. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(s: TestServer): Promise<Sample[]> {
  const res = await fetch(new URL("metrics/prometheus", s.adminUrl));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

/** The sum of the samples of `name` whose labels include `labels`. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
    .reduce((sum, x) => sum + x.value, 0);
}

async function serverFor(t: { after(fn: () => Promise<void>): void }) {
  const s = await startTestServer();
  t.after(() => s.close());
  return s;
}

test("GET /metrics/prometheus on the admin listener only; request counters move by route pattern and status", async (t) => {
  const s = await serverFor(t);
  const onPublic = await fetch(new URL("metrics/prometheus", s.publicUrl));
  assert.equal(onPublic.status, 404, "metrics are not public");

  const before = await scrape(s);
  const id = "8f14e45f-ceea-467f-a9b3-9b5c6a2f3a11";
  for (let i = 0; i < 3; i++) await fetch(new URL(`admin/identities/${id}`, s.adminUrl));
  await fetch(new URL("health/alive", s.publicUrl));
  const after = await scrape(s);

  const route = { listener: "admin", method: "GET", route: "/identities/:id", status: "404" };
  assert.equal(value(after, "http_requests_total", route) - value(before, "http_requests_total", route), 3);
  assert.equal(
    after.filter((x) => x.name === "http_requests_total" && x.labels.route?.includes(id)).length,
    0,
    "labelled by pattern, never by raw path",
  );
  assert.equal(value(after, "http_request_duration_seconds_count", route), 3);
  assert.equal(value(after, "http_request_duration_seconds_bucket", { ...route, le: "+Inf" }), 3);
  assert.equal(
    value(after, "http_requests_total", { listener: "public", route: "/health/alive", status: "200" }),
    1,
  );
  assert.equal(value(before, "http_requests_total", { listener: "public", route: "/health/alive" }), 0);
  // A scrape is counted once answered: the second scrape shows the first.
  assert.equal(value(after, "http_requests_total", { listener: "admin", route: "/metrics/prometheus" }), 1);
});

test("flow outcomes per flow and method, password hash timings and store call timings", async (t) => {
  const s = await serverFor(t);
  await registerNative(s, "ada@example.com");
  const api = frontend(s);
  const flow = await api.createNativeLoginFlow();
  await sdkError(
    api.updateLoginFlow({
      flow: flow.id,
      updateLoginFlowBody: {
        method: "password",
        identifier: "ada@example.com",
        password: "wrong-password-77",
      },
    }),
  );
  await api.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier: "ada@example.com", password: PASSWORD },
  });
  const samples = await scrape(s);
  const flows = "tessera_flow_submissions_total";
  assert.equal(value(samples, flows, { flow: "registration", method: "password", result: "success" }), 1);
  assert.equal(value(samples, flows, { flow: "login", method: "password", result: "invalid" }), 1);
  assert.equal(value(samples, flows, { flow: "login", method: "password", result: "success" }), 1);

  const hashes = "tessera_password_hash_duration_seconds_count";
  assert.equal(value(samples, hashes, { operation: "hash" }), 1, "one hash at sign-up");
  assert.equal(value(samples, hashes, { operation: "verify" }), 2, "two verifications at sign-in");

  const store = "tessera_store_query_duration_seconds_count";
  assert.ok(value(samples, store, { operation: "createIdentity" }) >= 1);
  assert.ok(value(samples, store, { operation: "createFlow" }) >= 2);
  assert.ok(value(samples, "tessera_store_query_duration_seconds_sum") > 0);
});

test("the courier queue depth is read from the store at scrape time", async (t) => {
  const s = await serverFor(t);
  assert.equal(value(await scrape(s), "tessera_courier_queue_depth"), 0);
  await s.store.enqueueMessage(courierMessage({ status: "queued" }));
  await s.store.enqueueMessage(courierMessage({ status: "queued" }));
  await s.store.enqueueMessage(courierMessage({ status: "sent" }));
  assert.equal(value(await scrape(s), "tessera_courier_queue_depth"), 2);
});

test("each app has its own registry: two servers in one process do not share counters", async (t) => {
  const a = await serverFor(t);
  const b = await serverFor(t);
  for (let i = 0; i < 4; i++) await fetch(new URL("health/alive", a.publicUrl));
  const route = { listener: "public", route: "/health/alive" };
  assert.equal(value(await scrape(a), "http_requests_total", route), 4);
  assert.equal(value(await scrape(b), "http_requests_total", route), 0);
});

test("timedCalls keeps private fields, getters, sync methods and Proxy get traps working", async () => {
  class Counter {
    #n = 0;
    readonly kind = "counter";
    get doubled() {
      return this.#n * 2;
    }
    async add(k: number) {
      this.#n += k;
      return this.#n;
    }
    now() {
      return this.#n;
    }
  }
  const timed: string[] = [];
  const timer = (name: string) => () => void timed.push(name);
  const plain = timedCalls(new Counter(), timer);
  assert.equal(await plain.add(2), 2);
  assert.equal(plain.now(), 2);
  assert.equal(plain.doubled, 4);
  assert.equal(plain.kind, "counter");
  const seen: string[] = [];
  const proxied = new Proxy(new Counter(), {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        seen.push(String(property));
        return value.apply(target, args);
      };
    },
  });
  const wrapped = timedCalls(proxied, timer);
  assert.equal(await wrapped.add(5), 5);
  assert.deepEqual(seen, ["add"], "the proxy's trap still runs");
  assert.deepEqual(timed, ["add", "now", "add"]);
  await assert.rejects(
    timedCalls({ fail: async () => Promise.reject(new Error("boom")) }, timer).fail(),
    /boom/,
  );
});

test("the in-place histogram exposes what prom-client's own Histogram and Counter would, sample for sample", async () => {
  const { Counter, Histogram, Registry } = await import("prom-client");
  const { InPlaceHistogram } = await import("../../server/observe/in-place-histogram.ts");
  const buckets = [0.001, 0.01, 0.1, 1];
  const ours = new Registry();
  const theirs = new Registry();
  const inPlace = new InPlaceHistogram(ours, {
    name: "t_seconds",
    help: "h",
    buckets,
    counter: { name: "t_total", help: "c" },
  });
  const histogram = new Histogram({
    name: "t_seconds",
    help: "h",
    labelNames: ["a", "b"],
    buckets,
    registers: [theirs],
  });
  const counter = new Counter({ name: "t_total", help: "c", labelNames: ["a", "b"], registers: [theirs] });
  const observations: [Record<string, string>, number][] = [
    [{ a: "x", b: "1" }, 0.0005],
    [{ a: "x", b: "1" }, 0.001],
    [{ a: "x", b: "1" }, 0.5],
    [{ a: "y", b: "2" }, 7],
    [{ a: "y", b: "2" }, 0.01],
    [{ a: "x", b: "1" }, 0.02],
  ];
  for (const [labels, value] of observations) {
    inPlace.child(labels)(value);
    histogram.observe(labels, value);
    counter.inc(labels);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  ours.resetMetrics();
  assert.doesNotMatch(await ours.metrics(), /^t_/m, "reset clears every child");
});
