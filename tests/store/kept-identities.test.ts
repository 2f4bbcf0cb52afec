import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeptIdentities } from "../../db/kept-identities.ts";
import type { FullIdentity } from "../../db/store.ts";
import { identityStamp } from "../../db/whoami.ts";
import { at, identity } from "./fixtures.ts";

const stampOf = (i: FullIdentity) => identityStamp(i.version ?? 0, i.createdAt, i.updatedAt);

/** Traits nested `depth` objects deep. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

function keptWith(before: FullIdentity): KeptIdentities {
  const kept = new KeptIdentities();
  kept.keepRead(before);
  return kept;
}

describe("KeptIdentities", () => {
  it("hands out copies: what a caller changes is not what is kept", () => {
    const before = identity({ version: 1 });
    const kept = keptWith(before);
    const first = kept.get(before.id, stampOf(before));
    assert.deepEqual(first, before);
    (first!.traits.name as Record<string, unknown>).first = "Changed";
    first!.verifiableAddresses.pop();
    assert.deepEqual(kept.get(before.id, stampOf(before)), before);
    assert.equal(kept.get(before.id, "another stamp"), undefined);
  });

  it("keeps a row write under the row's stamp, with the children of the state it was decided on", () => {
    const before = identity({ version: 1 });
    const kept = keptWith(before);
    const { credentials: _c, verifiableAddresses: _v, recoveryAddresses: _r, ...row } = before;
    const written = { ...row, version: 2, updatedAt: at(5), traits: { email: "new@example.com" } };
    kept.keepRowWrite(before, written);
    const after = { ...before, ...written };
    assert.deepEqual(kept.get(before.id, stampOf(after)), after);
  });

  it("keeps neither a read nor a row write nested deeper than it copies", () => {
    const deep = identity({ version: 1, traits: nested(200) });
    const reads = keptWith(deep);
    assert.equal(reads.get(deep.id, stampOf(deep)), undefined);

    const before = identity({ version: 1 });
    const kept = keptWith(before);
    const { credentials: _c, verifiableAddresses: _v, recoveryAddresses: _r, ...row } = before;
    const tooDeep = { ...row, version: 2, updatedAt: at(5), traits: nested(200) };
    kept.keepRowWrite(before, tooDeep);
    assert.equal(kept.get(before.id, stampOf({ ...before, ...tooDeep })), undefined);
    const shallow = { ...row, version: 2, updatedAt: at(5), traits: nested(100) };
    kept.keepRowWrite(before, shallow);
    assert.deepEqual(kept.get(before.id, stampOf({ ...before, ...shallow })), { ...before, ...shallow });
  });
});
