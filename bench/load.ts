/**
 * The benchmark's plumbing: child servers, autocannon runs whose every response is checked, RSS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import type { SeedUser } from "./seed.ts";

export interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Starts `node <args>` and waits for `pattern` (its first group is the URL) on stdout or stderr. */
export async function startChild(
  args: string[],
  pattern: RegExp,
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    let started = false;
    const onData = (chunk: Buffer) => {
      // Once started, the output is only drained: kept and searched, the request log lines would
      // grow the buffer by megabytes a second and each search would scan all of it, taking CPU
      // from the server being measured (the later scenarios were the slower for it).
      if (started) return;
      buffer += chunk.toString();
      const match = pattern.exec(buffer);
      if (match) {
        started = true;
        buffer = "";
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}: ${buffer}`)));
  });
  return {
    process: child,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface Memory {
  rssMiB: number;
  peakMiB: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Samples a process's RSS while `work` runs; answers the highest sample. */
export async function sampleRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ value: T; maxMiB: number }> {
  let maxMiB = 0;
  const timer = setInterval(() => {
    maxMiB = Math.max(maxMiB, memoryOf(pid).rssMiB);
  }, 200);
  try {
    return { value: await work(), maxMiB };
  } finally {
    clearInterval(timer);
  }
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Responses whose status or body was not what the scenario expects (non-2xx included). */
  bad: number;
  errors: number;
}

interface Context {
  /** The connection's place among `connections`: it owns users slot, slot + connections, ... */
  slot?: number;
  user?: SeedUser;
  [key: string]: unknown;
}

/** The part of autocannon's per-connection request iterator that `load` sets up (not typed). */
interface ClientIterator {
  initialContext: Context;
  resetContext(): void;
  rebuildRequest(): void;
}

export interface Step {
  request(
    user: SeedUser,
    context: Context,
  ): { method?: string; path: string; headers?: Record<string, string>; body?: string };
  /** Whether the response is right; may keep what a later step needs in `context`. */
  check(status: number, body: string, user: SeedUser, context: Context): boolean;
}

/**
 * Runs `steps` (in order, per user) on `connections` connections. Each connection owns its own
 * users (connection c: users c, c + connections, ...), so no identity is written by two requests
 * at once and every response can be checked against what its own request sent.
 */
export async function load(options: {
  url: string;
  users: SeedUser[];
  connections: number;
  duration: number;
  steps: Step[];
}): Promise<LoadResult> {
  const { users, connections } = options;
  let nextSlot = 0;
  let bad = 0;
  // autocannon hands every iteration a fresh context (it clears it after the last step), so a
  // connection's slot lives in its iterator's initial context and its turns outside: with both on
  // the context, every iteration took the next slot's first user, only `connections` users were
  // ever used, and two connections could write one user at once.
  const turns: number[] = [];
  const userFor = (slot: number): SeedUser => {
    const turn = turns[slot] ?? 0;
    turns[slot] = turn + 1;
    const owned = Math.max(1, Math.ceil((users.length - slot) / connections));
    const index = slot + connections * (turn % owned);
    return users[index % users.length]!;
  };
  const setupClient = (client: unknown) => {
    const iterator = (client as { requestIterator: ClientIterator }).requestIterator;
    iterator.initialContext = { slot: nextSlot++ % connections };
    iterator.resetContext();
    // The first request was built when the client was made, before it had a slot.
    iterator.rebuildRequest();
  };
  const base = new URL(options.url);
  const prefix = base.pathname.replace(/\/$/, "");
  const result = await autocannon({
    url: base.origin,
    connections,
    duration: options.duration,
    setupClient,
    requests: options.steps.map((step, i) => ({
      setupRequest: (req: autocannon.Request, context: Context) => {
        if (context.slot === undefined) return req;
        if (i === 0) context.user = userFor(context.slot);
        const r = step.request(context.user!, context);
        return {
          ...req,
          method: (r.method ?? "GET") as autocannon.Request["method"],
          path: r.path.startsWith("http")
            ? new URL(r.path).pathname + new URL(r.path).search
            : prefix + r.path,
          headers: r.headers ?? {},
          ...(r.body === undefined ? {} : { body: r.body }),
        };
      },
      onResponse: (status: number, body: string, context: Context) => {
        if (!step.check(status, body, context.user!, context)) bad++;
      },
    })) as autocannon.Request[],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    bad,
    errors: result.errors + result.timeouts,
  };
}
