/**
 * Parses the `hashers.argon2.memory` setting ("64MB", "128MiB", "65536KB") into KiB, the unit
 * argon2 takes. Units are binary multiples (1 MB = 1024 KB), as in Kratos, whose config uses
 * go-bytesize: "128MB" there is 131072 KiB, and the same file must mean the same thing here.
 * A bare number is bytes, also as go-bytesize reads it.
 */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const MEMORY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

export function parseMemoryKiB(text: string): number {
  const match = MEMORY.exec(text);
  const multiplier = match ? UNIT_BYTES[(match[2] || "b").toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new Error(`hashers.argon2.memory: cannot read "${text}" as a size such as "64MB"`);
  }
  return Math.floor((Number(match[1]) * multiplier) / 1024);
}
