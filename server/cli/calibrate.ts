import { randomBytes } from "node:crypto";
import * as argon2 from "argon2";
import { parseDuration } from "../duration.ts";
import { parseMemoryKiB } from "../methods/password/memory-size.ts";

export interface CalibrateFlags {
  expectedDuration: string;
  startMemory: string;
  maxMemory: string;
  adjustMemoryBy: string;
  startIterations: string;
  parallelism: string;
  probeRuns: string;
}

export interface Calibration {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  /** Median of the last probe at the settled parameters. */
  medianMs: number;
}

async function probe(
  memoryKiB: number,
  iterations: number,
  parallelism: number,
  runs: number,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await argon2.hash(randomBytes(16).toString("base64"), {
      type: argon2.argon2id,
      memoryCost: memoryKiB,
      timeCost: iterations,
      parallelism,
    });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const mb = (kib: number) => `${Math.round((kib / 1024) * 100) / 100}MB`;

/**
 * `tessera hashers argon2 calibrate`: Kratos's search, on this machine: raise memory (by
 * `--adjust-memory-by`, up to `--max-memory`) until one hash takes longer than
 * `--expected-duration`, step back under it, then raise iterations the same way and step back.
 * The result is the most expensive setting that still hashes within the expected duration.
 * Progress goes to `progress` (stderr), the config snippet to stdout.
 */
export async function calibrateArgon2(
  flags: CalibrateFlags,
  progress: (line: string) => void,
): Promise<Calibration> {
  const targetMs = parseDuration(flags.expectedDuration);
  const maxKiB = parseMemoryKiB(flags.maxMemory);
  const parallelism = Number(flags.parallelism);
  const runs = Math.max(1, Number(flags.probeRuns));
  let step = parseMemoryKiB(flags.adjustMemoryBy);
  let memory = Math.max(parseMemoryKiB(flags.startMemory), 8 * parallelism);
  let iterations = Math.max(1, Number(flags.startIterations));
  if (!(parallelism >= 1) || !(step >= 1))
    throw new Error("--parallelism and --adjust-memory-by must be positive");
  const minMemory = 8 * parallelism;

  progress(`Increasing memory to get over ${flags.expectedDuration}:`);
  let took: number;
  for (;;) {
    took = await probe(memory, iterations, parallelism, runs);
    progress(`  took ${took.toFixed(1)}ms with ${mb(memory)} of memory`);
    if (took > targetMs) break;
    if (memory + step > maxKiB) {
      progress("  hit the memory limit");
      memory = maxKiB;
      break;
    }
    memory += step;
  }
  progress(`Decreasing memory to get under ${flags.expectedDuration}:`);
  for (;;) {
    took = await probe(memory, iterations, parallelism, runs);
    progress(`  took ${took.toFixed(1)}ms with ${mb(memory)} of memory`);
    if (took <= targetMs || memory <= minMemory) break;
    while (step >= memory && step > 1) step = Math.floor(step / 2);
    memory = Math.max(minMemory, memory - step);
  }
  progress(`Settled on ${mb(memory)} of memory.`);
  progress(`Increasing iterations to get over ${flags.expectedDuration}:`);
  for (;;) {
    took = await probe(memory, iterations, parallelism, runs);
    progress(`  took ${took.toFixed(1)}ms with ${iterations} iterations`);
    if (took > targetMs) {
      if (iterations > 1) iterations--;
      break;
    }
    iterations++;
  }
  took = await probe(memory, iterations, parallelism, runs);
  progress(`Settled on ${iterations} iterations (${took.toFixed(1)}ms per hash).`);
  return { memoryKiB: memory, iterations, parallelism, medianMs: took };
}

/** The YAML to paste into the configuration file. */
export function calibrationYaml(c: Calibration): string {
  return [
    "hashers:",
    "  algorithm: argon2",
    "  argon2:",
    `    memory: ${c.memoryKiB % 1024 === 0 ? `${c.memoryKiB / 1024}MB` : `${c.memoryKiB}KB`}`,
    `    iterations: ${c.iterations}`,
    `    parallelism: ${c.parallelism}`,
  ].join("\n");
}
