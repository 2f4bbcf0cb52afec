import type { FullIdentity } from "../../db/store.ts";

type Addresses = FullIdentity["verifiableAddresses"];

/**
 * The addresses with those `proven` picks marked verified at `now` (one verified before keeps its
 * time): what verification, recovery and a held address change write once the owner has shown
 * they hold the address.
 */
export function markVerified(
  addresses: Addresses,
  proven: (a: Addresses[number]) => boolean,
  now: Date,
): Addresses {
  return addresses.map((a) =>
    proven(a)
      ? {
          ...a,
          verified: true,
          status: "completed" as const,
          verifiedAt: a.verifiedAt ?? now,
          updatedAt: now,
        }
      : a,
  );
}
