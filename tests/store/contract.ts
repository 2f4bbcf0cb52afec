/**
 * The behaviour every Store must have, run against each implementation. One store (database) is
 * shared by all tests of a suite, as in production, so tests use fresh ids, emails and tokens and
 * never assume they own a table.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { AddressChangeMovedError, ConflictError, type FullIdentity, type Store } from "../../db/store.ts";
import {
  addressChange,
  at,
  continuity,
  courierMessage,
  credential,
  flow,
  historyEntry,
  identity,
  recoveryAddress,
  session,
  storedError,
  t0,
  uniqueEmail,
  verifiableAddress,
} from "./fixtures.ts";

/** An identity without its `version`, for comparing contents regardless of how often it was written. */
function unversioned(identity: FullIdentity | undefined): Omit<FullIdentity, "version"> | undefined {
  if (!identity) return identity;
  const { version: _version, ...rest } = identity;
  return rest;
}

export interface OpenedStore {
  store: Store;
  /** Runs after the suite closed the store: removes its file, schema, ... */
  cleanup: () => Promise<void>;
  /** Another store on the same database, as a second process would open it (not for in-memory). */
  openAnother?: () => Promise<Store>;
}

/** `secondProcess`: `open` answers `openAnother`, and the tests that need two processes run. */
export function runStoreContract(
  name: string,
  open: () => Promise<OpenedStore>,
  options: { secondProcess?: boolean } = {},
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let openAnother: (() => Promise<Store>) | undefined;

    before(async () => {
      ({ store, cleanup, openAnother } = await open());
      await store.migrate();
    });

    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    /** Asserts that a write was refused as a conflict, naming the field when the store knows it. */
    async function assertConflict(write: Promise<unknown>, field: string): Promise<void> {
      await assert.rejects(write, (error: unknown) => {
        assert.ok(error instanceof ConflictError, `expected ConflictError, got ${String(error)}`);
        assert.equal(error.field, field);
        return true;
      });
    }

    describe("setup", () => {
      test("migrate is idempotent and ping answers", async () => {
        await store.migrate();
        assert.equal(await store.ping(), true);
        assert.ok(store.dialect === "sqlite" || store.dialect === "postgres");
      });
    });

    describe("identities", () => {
      test("an identity round-trips with all its children", async () => {
        const input = identity({ metadataPublic: { plan: "pro" }, externalId: `ext-${randomUUID()}` });
        const id = input.id;
        const email = input.traits.email as string;
        input.metadataAdmin = { notes: ["vip"], score: 1.5, flag: false, nothing: null };
        // Identifiers keep their given order, which is not sorted.
        input.credentials = [
          credential(id, {
            type: "password",
            identifiers: [`z-${email}`, email],
            config: { hashed_password: "x" },
          }),
          credential(id, {
            type: "oidc",
            identifiers: [`google:${randomUUID()}`, `github:${randomUUID()}`],
            config: { providers: [{ provider: "google", subject: "1", initial_id_token: "a.b.c" }] },
            version: 1,
            createdAt: at(5),
            updatedAt: at(6),
          }),
        ];
        input.verifiableAddresses = [
          verifiableAddress(id, email, { verified: true, status: "completed", verifiedAt: at(7) }),
          verifiableAddress(id, `+4915${Date.now() % 1_000_000_000}`, { via: "sms", createdAt: at(8) }),
        ];

        const created = await store.createIdentity(input);
        assert.deepEqual(unversioned(created), unversioned(input));
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(input));
      });

      test("a missing identity reads as undefined", async () => {
        assert.equal(await store.getIdentity(randomUUID()), undefined);
      });

      test("children come back ordered by created_at, then id", async () => {
        const input = identity();
        const email = input.traits.email as string;
        const early = verifiableAddress(input.id, `early-${email}`, { createdAt: at(-1000) });
        const late = verifiableAddress(input.id, `late-${email}`, { createdAt: at(1000) });
        input.verifiableAddresses = [late, ...input.verifiableAddresses, early];

        const created = await store.createIdentity(input);
        const read = await store.getIdentity(input.id);
        assert.deepEqual(
          read?.verifiableAddresses.map((a) => a.value),
          [early.value, email, late.value],
        );
        assert.deepEqual(unversioned(created), unversioned(read));
      });

      test("children are stored under the identity they came with", async () => {
        const input = identity();
        input.recoveryAddresses = [recoveryAddress("some-other-identity", uniqueEmail())];
        const created = await store.createIdentity(input);
        assert.equal(created.recoveryAddresses[0]?.identityId, input.id);
        assert.deepEqual(unversioned(await store.getIdentity(input.id)), unversioned(created));
      });

      test("update replaces the identity row and all its children", async () => {
        const original = await store.createIdentity(identity());
        const oldEmail = original.traits.email as string;
        const newEmail = uniqueEmail("renamed");
        const updated: FullIdentity = {
          ...original,
          traits: { email: newEmail },
          state: "inactive",
          stateChangedAt: at(100),
          metadataPublic: { changed: true },
          updatedAt: at(100),
          credentials: [
            { ...original.credentials[0]!, identifiers: [newEmail], version: 2, updatedAt: at(100) },
            credential(original.id, {
              type: "code",
              identifiers: [newEmail],
              config: { addresses: [] },
              createdAt: at(100),
            }),
          ],
          verifiableAddresses: [verifiableAddress(original.id, newEmail)],
          recoveryAddresses: [],
        };

        assert.deepEqual(unversioned(await store.updateIdentity(updated)), unversioned(updated));
        assert.deepEqual(unversioned(await store.getIdentity(original.id)), unversioned(updated));
        assert.equal(await store.findIdentityByCredentialIdentifier("password", oldEmail), undefined);
        assert.equal((await store.findIdentityByCredentialIdentifier("password", newEmail))?.id, original.id);
        assert.equal((await store.findIdentityByCredentialIdentifier("code", newEmail))?.id, original.id);
      });

      test("an external id set, changed and cleared by an update is found by its new value only", async () => {
        const original = await store.createIdentity(identity());
        const byExternal = async (externalId: string) =>
          (await store.listIdentities({ pageSize: 10, externalId })).identities.map((i) => i.id);
        const first = `ext-${randomUUID()}`;
        const second = `ext-${randomUUID()}`;
        const set = await store.updateIdentity({ ...original, externalId: first });
        assert.deepEqual(await byExternal(first), [original.id]);
        const changed = await store.updateIdentity({ ...set, externalId: second });
        assert.deepEqual(await byExternal(first), []);
        assert.deepEqual(await byExternal(second), [original.id]);
        await store.updateIdentity({ ...changed, externalId: null });
        assert.deepEqual(await byExternal(second), []);
        assert.equal((await store.getIdentity(original.id))?.externalId, null);
      });

      test("an identity is found by its verifiable or recovery address (channel and value)", async () => {
        const created = await store.createIdentity(identity());
        const email = created.traits.email as string;
        assert.equal(await store.findIdentityIdByAddress("verifiable", "email", email), created.id);
        assert.equal(await store.findIdentityIdByAddress("recovery", "email", email), created.id);
        assert.equal(await store.findIdentityIdByAddress("verifiable", "sms", email), undefined);
        assert.equal(
          await store.findIdentityIdByAddress("recovery", "email", uniqueEmail("nobody")),
          undefined,
        );
      });

      test("updating a missing identity fails and writes nothing", async () => {
        const ghost = identity();
        await assert.rejects(store.updateIdentity(ghost));
        assert.equal(await store.getIdentity(ghost.id), undefined);
        assert.equal(
          await store.findIdentityByCredentialIdentifier("password", ghost.traits.email as string),
          undefined,
        );
      });

      test("delete removes the identity and frees its identifiers and addresses", async () => {
        const doomed = await store.createIdentity(identity());
        assert.equal(await store.deleteIdentity(doomed.id), true);
        assert.equal(await store.getIdentity(doomed.id), undefined);
        assert.equal(await store.deleteIdentity(doomed.id), false);
        const email = doomed.traits.email as string;
        assert.equal(await store.findIdentityByCredentialIdentifier("password", email), undefined);

        // The same identifier and addresses can be used again: no child rows were left behind.
        const successor = identity();
        successor.credentials = [credential(successor.id, { type: "password", identifiers: [email] })];
        successor.verifiableAddresses = [verifiableAddress(successor.id, email)];
        successor.recoveryAddresses = [recoveryAddress(successor.id, email)];
        await store.createIdentity(successor);
        assert.equal((await store.findIdentityByCredentialIdentifier("password", email))?.id, successor.id);
      });

      test("findIdentityByCredentialIdentifier matches type and identifier exactly", async () => {
        const owner = await store.createIdentity(identity());
        const email = owner.traits.email as string;
        assert.deepEqual(await store.findIdentityByCredentialIdentifier("password", email), owner);
        assert.equal(await store.findIdentityByCredentialIdentifier("code", email), undefined);
        assert.equal(
          await store.findIdentityByCredentialIdentifier("password", email.toUpperCase()),
          undefined,
        );
        assert.equal(await store.findIdentityByCredentialIdentifier("password", email.slice(1)), undefined);
      });

      test("one identifier may be used by credentials of different types", async () => {
        const email = uniqueEmail();
        const first = identity();
        first.credentials = [credential(first.id, { type: "password", identifiers: [email] })];
        const second = identity();
        second.credentials = [credential(second.id, { type: "code", identifiers: [email] })];
        await store.createIdentity(first);
        await store.createIdentity(second);
        assert.equal((await store.findIdentityByCredentialIdentifier("password", email))?.id, first.id);
        assert.equal((await store.findIdentityByCredentialIdentifier("code", email))?.id, second.id);
      });
    });

    describe("identity updates write exactly what changed", () => {
      /** The children of an identity, to compare them apart from the identity row. */
      const childrenOf = (i: FullIdentity | undefined) =>
        i && {
          credentials: i.credentials,
          verifiableAddresses: i.verifiableAddresses,
          recoveryAddresses: i.recoveryAddresses,
        };

      test("changing only the traits keeps every child intact", async () => {
        const input = identity();
        const id = input.id;
        const email = input.traits.email as string;
        const oidcId = `google:${randomUUID()}`;
        input.credentials.push(
          credential(id, {
            type: "oidc",
            identifiers: [oidcId],
            // Keys out of order and nested: PostgreSQL's jsonb reads them back sorted.
            config: { z: 1, providers: [{ subject: "s", provider: "google" }], a: { y: [1, { c: null }] } },
            version: 1,
            createdAt: at(2),
          }),
        );
        input.verifiableAddresses.push(
          verifiableAddress(id, `+4916${Date.now() % 1_000_000_000}`, {
            via: "sms",
            verified: true,
            status: "completed",
            verifiedAt: at(3),
            createdAt: at(3),
          }),
        );
        const created = await store.createIdentity(input);

        // Once from the written records, once from a read (as the services do).
        const first = { ...created, traits: { ...created.traits, email, nick: "ada" }, updatedAt: at(200) };
        assert.deepEqual(unversioned(await store.updateIdentity(first)), unversioned(first));
        const read = (await store.getIdentity(id))!;
        assert.deepEqual(unversioned(read), unversioned(first));
        const second = { ...read, traits: { email, nick: "countess" }, updatedAt: at(201) };
        await store.updateIdentity(second);

        const final = await store.getIdentity(id);
        assert.deepEqual(unversioned(final), unversioned(second));
        assert.deepEqual(childrenOf(final), childrenOf(created));
        assert.equal((await store.findIdentityByCredentialIdentifier("password", email))?.id, id);
        assert.equal((await store.findIdentityByCredentialIdentifier("oidc", oidcId))?.id, id);
      });

      test("changing one address adds and removes exactly it and keeps the other as it was", async () => {
        const input = identity();
        const id = input.id;
        const email = input.traits.email as string;
        const kept = verifiableAddress(id, email, { verified: true, status: "completed", verifiedAt: at(5) });
        const dropped = verifiableAddress(id, uniqueEmail("dropped"), { createdAt: at(1) });
        input.verifiableAddresses = [kept, dropped];
        input.recoveryAddresses = [
          recoveryAddress(id, email),
          recoveryAddress(id, dropped.value, { createdAt: at(1) }),
        ];
        const created = await store.createIdentity(input);

        const added = verifiableAddress(id, uniqueEmail("added"), { createdAt: at(300) });
        const next: FullIdentity = {
          ...created,
          traits: { email: added.value },
          updatedAt: at(300),
          verifiableAddresses: [created.verifiableAddresses[0]!, added],
          recoveryAddresses: [
            created.recoveryAddresses[0]!,
            recoveryAddress(id, added.value, { createdAt: at(300) }),
          ],
        };
        assert.deepEqual(unversioned(await store.updateIdentity(next)), unversioned(next));
        const read = await store.getIdentity(id);
        assert.deepEqual(unversioned(read), unversioned(next));
        assert.deepEqual(read?.verifiableAddresses[0], kept);
        assert.deepEqual(read?.credentials, created.credentials);

        // The dropped addresses are gone, not hidden: another identity can take them.
        const successor = identity();
        successor.verifiableAddresses = [verifiableAddress(successor.id, dropped.value)];
        successor.recoveryAddresses = [recoveryAddress(successor.id, dropped.value)];
        await store.createIdentity(successor);
        // The added ones are stored: taking them is a conflict.
        const intruder = identity();
        intruder.verifiableAddresses = [verifiableAddress(intruder.id, added.value)];
        await assertConflict(store.createIdentity(intruder), "verifiable_addresses");
        intruder.verifiableAddresses = [];
        intruder.recoveryAddresses = [recoveryAddress(intruder.id, added.value)];
        await assertConflict(store.createIdentity(intruder), "recovery_addresses");
      });

      test("an address keeps its id while its verification or value changes", async () => {
        const input = identity();
        const id = input.id;
        const oldValue = uniqueEmail("old");
        input.verifiableAddresses.push(verifiableAddress(id, oldValue, { createdAt: at(1) }));
        input.recoveryAddresses.push(recoveryAddress(id, oldValue, { createdAt: at(1) }));
        const created = await store.createIdentity(input);
        const [primary, other] = created.verifiableAddresses;
        const newValue = uniqueEmail("new");

        const next: FullIdentity = {
          ...created,
          updatedAt: at(400),
          verifiableAddresses: [
            { ...primary!, verified: true, status: "completed", verifiedAt: at(400), updatedAt: at(400) },
            { ...other!, value: newValue, updatedAt: at(400) },
          ],
          recoveryAddresses: [
            created.recoveryAddresses[0]!,
            { ...created.recoveryAddresses[1]!, value: newValue, updatedAt: at(400) },
          ],
        };
        await store.updateIdentity(next);
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(next));

        // Only timestamps change.
        const touched: FullIdentity = {
          ...next,
          credentials: [{ ...next.credentials[0]!, updatedAt: at(401) }],
          verifiableAddresses: [
            { ...next.verifiableAddresses[0]!, verifiedAt: at(401) },
            { ...next.verifiableAddresses[1]!, updatedAt: at(401) },
          ],
          recoveryAddresses: [
            { ...next.recoveryAddresses[0]!, createdAt: at(-1) },
            next.recoveryAddresses[1]!,
          ],
        };
        await store.updateIdentity(touched);
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(touched));

        const successor = identity();
        successor.verifiableAddresses = [verifiableAddress(successor.id, oldValue)];
        successor.recoveryAddresses = [recoveryAddress(successor.id, oldValue)];
        await store.createIdentity(successor);
      });

      test("two addresses of one identity can swap their values", async () => {
        const input = identity();
        const id = input.id;
        const [a, b] = [uniqueEmail("a"), uniqueEmail("b")];
        input.verifiableAddresses = [
          verifiableAddress(id, a),
          verifiableAddress(id, b, {
            createdAt: at(1),
            verified: true,
            status: "completed",
            verifiedAt: at(1),
          }),
        ];
        input.recoveryAddresses = [recoveryAddress(id, a), recoveryAddress(id, b, { createdAt: at(1) })];
        const created = await store.createIdentity(input);
        const [va, vb] = created.verifiableAddresses;
        const [ra, rb] = created.recoveryAddresses;
        const next: FullIdentity = {
          ...created,
          verifiableAddresses: [
            { ...va!, value: b },
            { ...vb!, value: a },
          ],
          recoveryAddresses: [
            { ...ra!, value: b },
            { ...rb!, value: a },
          ],
        };
        await store.updateIdentity(next);
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(next));
      });

      test("replacing a password hash updates the credential config", async () => {
        const created = await store.createIdentity(identity());
        const email = created.traits.email as string;
        const password = created.credentials[0]!;

        // The hash alone, then with the bookkeeping a password change also updates.
        const hashOnly = { ...password, config: { hashed_password: "$2b$12$onlythehashchanged" } };
        const first: FullIdentity = { ...created, credentials: [hashOnly] };
        assert.deepEqual(unversioned(await store.updateIdentity(first)), unversioned(first));
        assert.deepEqual(unversioned(await store.getIdentity(created.id)), unversioned(first));

        const rehashed = {
          ...password,
          config: { hashed_password: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW" },
          version: 1,
          updatedAt: at(500),
        };
        const second: FullIdentity = { ...created, credentials: [rehashed], updatedAt: at(500) };
        assert.deepEqual(unversioned(await store.updateIdentity(second)), unversioned(second));
        assert.deepEqual(unversioned(await store.getIdentity(created.id)), unversioned(second));
        const found = await store.findIdentityByCredentialIdentifier("password", email);
        assert.deepEqual(found?.credentials, [rehashed]);
      });

      test("a change deep inside a credential's config is written", async () => {
        const input = identity();
        const provider = { provider: "google", subject: "s", tokens: { id: "a.b.c", scopes: ["email"] } };
        input.credentials.push(
          credential(input.id, {
            type: "oidc",
            identifiers: [`google:${randomUUID()}`],
            config: { providers: [provider] },
            createdAt: at(1),
          }),
        );
        const created = await store.createIdentity(input);
        const oidc = created.credentials[1]!;
        for (const config of [
          { providers: [{ ...provider, tokens: { id: "a.b.c", scopes: ["email", "profile"] } }] },
          { providers: [{ ...provider, tokens: { id: "a.b.c", scopes: ["email"], refresh: "r" } }] },
          { providers: [provider, { provider: "github", subject: "t" }] },
          { providers: [provider, { provider: "github", subject: "t" }], extra: null },
          { providers: [provider, { provider: "github", subject: "t" }] },
        ]) {
          const next: FullIdentity = {
            ...created,
            credentials: [created.credentials[0]!, { ...oidc, config }],
          };
          await store.updateIdentity(next);
          assert.deepEqual(unversioned(await store.getIdentity(created.id)), unversioned(next));
        }
      });

      test("removing an identifier or a credential removes it; reordering keeps the new order", async () => {
        const input = identity();
        const id = input.id;
        const email = input.traits.email as string;
        const username = `user-${randomUUID()}`;
        input.credentials = [
          credential(id, {
            type: "password",
            identifiers: [email, username],
            config: { hashed_password: "x" },
          }),
          credential(id, { type: "code", identifiers: [email], config: { addresses: [] }, createdAt: at(1) }),
        ];
        const created = await store.createIdentity(input);
        const [password, code] = created.credentials;

        const reordered: FullIdentity = {
          ...created,
          credentials: [{ ...password!, identifiers: [username, email] }, code!],
        };
        await store.updateIdentity(reordered);
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(reordered));

        const trimmed: FullIdentity = { ...created, credentials: [{ ...password!, identifiers: [email] }] };
        assert.deepEqual(unversioned(await store.updateIdentity(trimmed)), unversioned(trimmed));
        assert.deepEqual(unversioned(await store.getIdentity(id)), unversioned(trimmed));
        assert.equal(await store.findIdentityByCredentialIdentifier("password", username), undefined);
        assert.equal(await store.findIdentityByCredentialIdentifier("code", email), undefined);
        assert.equal((await store.findIdentityByCredentialIdentifier("password", email))?.id, id);

        // Nothing was left behind: another identity can use the removed identifiers.
        const successor = identity();
        successor.credentials = [
          credential(successor.id, { type: "password", identifiers: [username] }),
          credential(successor.id, { type: "code", identifiers: [email] }),
        ];
        await store.createIdentity(successor);
      });

      test("a conflict after some child writes rolls the whole update back", async () => {
        const other = await store.createIdentity(identity());
        const input = identity();
        input.verifiableAddresses.push(
          verifiableAddress(input.id, uniqueEmail("second"), { createdAt: at(1) }),
        );
        const target = await store.createIdentity(input);
        const next: FullIdentity = {
          ...target,
          traits: { email: uniqueEmail() },
          updatedAt: at(600),
          // An in-place update, a deletion, and then an insert that clashes with the other identity.
          credentials: [{ ...target.credentials[0]!, config: { hashed_password: "changed" } }],
          verifiableAddresses: [
            { ...target.verifiableAddresses[0]!, verified: true, status: "completed", verifiedAt: at(600) },
            verifiableAddress(target.id, other.verifiableAddresses[0]!.value, { createdAt: at(600) }),
          ],
          recoveryAddresses: [],
        };

        await assertConflict(store.updateIdentity(next), "verifiable_addresses");
        assert.deepEqual(unversioned(await store.getIdentity(target.id)), unversioned(target));
        assert.deepEqual(unversioned(await store.getIdentity(other.id)), unversioned(other));
      });
    });

    describe("identity mutations", () => {
      /** A mutation that adds one key to metadata_public, on whatever the current state is. */
      const addKey = (key: string) => (current: FullIdentity) => ({
        identity: {
          ...current,
          metadataPublic: { ...(current.metadataPublic as Record<string, unknown> | null), [key]: true },
        },
        value: key,
      });

      test("a mutation decides on the current state, writes it and bumps the version", async () => {
        const created = await store.createIdentity(identity());
        assert.equal(created.version, 0);
        assert.equal((await store.getIdentity(created.id))?.version, 0);
        const result = await store.mutateIdentity(created.id, addKey("a"));
        assert.equal(result.kind, "done");
        assert.ok(result.kind === "done");
        assert.equal(result.value, "a");
        assert.equal(result.identity.version, 1);
        const read = await store.getIdentity(created.id);
        assert.deepEqual(read, result.identity);
        assert.deepEqual(read?.metadataPublic, { a: true });
        assert.deepEqual(read?.credentials, created.credentials);
      });

      test("a mutation that decides not to write writes nothing and keeps the version", async () => {
        const created = await store.createIdentity(identity());
        const result = await store.mutateIdentity(created.id, (current) => ({ value: current.version }));
        assert.deepEqual(result.kind === "done" && result.value, 0);
        assert.deepEqual(await store.getIdentity(created.id), created);
      });

      test("a missing identity is not found and nothing runs", async () => {
        let ran = false;
        const result = await store.mutateIdentity(randomUUID(), () => {
          ran = true;
          return { value: undefined };
        });
        assert.deepEqual(result, { kind: "not_found" });
        assert.equal(ran, false);
      });

      test("a throwing mutation rolls back and the error propagates", async () => {
        const created = await store.createIdentity(identity());
        await assert.rejects(
          store.mutateIdentity(created.id, () => {
            throw new Error("refused");
          }),
          /refused/,
        );
        assert.deepEqual(await store.getIdentity(created.id), created);
      });

      test("a duplicate identifier is a conflict and changes nothing", async () => {
        const taken = await store.createIdentity(identity());
        const created = await store.createIdentity(identity());
        const stolen = taken.traits.email as string;
        const write = store.mutateIdentity(created.id, (current) => ({
          identity: {
            ...current,
            credentials: current.credentials.map((c) => ({ ...c, identifiers: [stolen] })),
          },
          value: undefined,
        }));
        await assertConflict(write, "credentials.identifiers");
        assert.deepEqual(await store.getIdentity(created.id), created);
      });

      test("the guard refuses revoked, foreign and expired sessions and inactive identities", async () => {
        const created = await store.createIdentity(identity());
        const other = await store.createIdentity(identity());
        const live = session(created.id, { expiresAt: at(1000) });
        const revoked = session(created.id, { active: false });
        const foreign = session(other.id);
        for (const s of [live, revoked, foreign]) await store.createSession(s);
        const guarded = (sessionId: string, now = at(0)) =>
          store.mutateIdentity(created.id, addKey("x"), { sessionId, requireActive: true, now });

        assert.deepEqual(await guarded(revoked.id), { kind: "session_inactive" });
        assert.deepEqual(await guarded(foreign.id), { kind: "session_inactive" });
        assert.deepEqual(await guarded(randomUUID()), { kind: "session_inactive" });
        assert.deepEqual(await guarded(live.id, at(1000)), { kind: "session_inactive" });
        await store.updateIdentity({ ...created, state: "inactive" });
        assert.deepEqual(await guarded(live.id), { kind: "identity_inactive" });
        assert.equal((await store.getIdentity(created.id))?.metadataPublic, null);

        await store.updateIdentity({ ...created, state: "active" });
        assert.equal((await guarded(live.id)).kind, "done");
        assert.deepEqual((await store.getIdentity(created.id))?.metadataPublic, { x: true });
      });

      test("a change decided on the current state (decidedOn) is held to the same guard", async () => {
        const created = await store.createIdentity(identity());
        const live = session(created.id, { expiresAt: at(1000) });
        const revoked = session(created.id, { active: false });
        for (const s of [live, revoked]) await store.createSession(s);
        const decided = async (sessionId: string, key: string, now = at(0)) =>
          store.mutateIdentity(created.id, addKey(key), {
            sessionId,
            requireActive: true,
            now,
            decidedOn: (await store.getIdentity(created.id))!,
          });

        assert.deepEqual(await decided(revoked.id, "a"), { kind: "session_inactive" });
        assert.deepEqual(await decided(randomUUID(), "a"), { kind: "session_inactive" });
        assert.deepEqual(await decided(live.id, "a", at(1000)), { kind: "session_inactive" });
        // Revoking a session does not touch the identity: the decided version is still current.
        await store.revokeSession(live.id);
        assert.deepEqual(await decided(live.id, "a"), { kind: "session_inactive" });
        const other = session(created.id, { expiresAt: at(1000) });
        await store.createSession(other);
        await store.updateIdentity({ ...(await store.getIdentity(created.id))!, state: "inactive" });
        assert.deepEqual(await decided(other.id, "a"), { kind: "identity_inactive" });
        assert.equal((await store.getIdentity(created.id))?.metadataPublic, null, "nothing was written");

        await store.updateIdentity({ ...(await store.getIdentity(created.id))!, state: "active" });
        const before = (await store.getIdentity(created.id))!;
        const target = flow({ identityId: created.id });
        await store.createFlow(target);
        const done = await store.mutateIdentity(
          created.id,
          (current) => ({ ...addKey("b")(current), flow: () => ({ ...target, state: "success" }) }),
          { sessionId: other.id, requireActive: true, now: at(0), decidedOn: before },
        );
        assert.equal(done.kind, "done");
        const after = await store.getIdentity(created.id);
        assert.deepEqual(after?.metadataPublic, { b: true });
        assert.equal(after?.version, (before.version ?? 0) + 1);
        assert.equal((await store.getFlow(target.id))?.state, "success", "the flow in the same write");
      });

      test("decided changes asked for together: each held to its own guard, none lost, each with its history and flow", async () => {
        const people = await Promise.all([1, 2, 3, 4].map(() => store.createIdentity(identity())));
        const sessions = people.map((p) => session(p.id, { expiresAt: at(1000) }));
        for (const s of sessions) await store.createSession(s);
        await store.revokeSession(sessions[1]!.id);
        const taken = `ext-${randomUUID()}`;
        await store.updateIdentity({ ...(await store.getIdentity(people[3]!.id))!, externalId: taken });
        const flows = people.map((p) => flow({ identityId: p.id }));
        for (const f of flows) await store.createFlow(f);
        const decided = async (i: number, key: string, change: Partial<FullIdentity> = {}) => {
          const decidedOn = (await store.getIdentity(people[i]!.id))!;
          return () =>
            store.mutateIdentity(
              people[i]!.id,
              (current) => {
                const added = addKey(key)(current);
                return {
                  ...added,
                  identity: { ...added.identity, ...change },
                  events: [historyEntry(people[i]!.id, 100, `changed_${key}`)],
                  flow: () => ({ ...flows[i]!, state: "success" }),
                };
              },
              { sessionId: sessions[i]!.id, requireActive: true, now: at(0), decidedOn },
            );
        };
        const together = async (writes: (() => Promise<unknown>)[]) =>
          (await Promise.allSettled(writes.map((write) => write()))).map((r) =>
            r.status === "fulfilled" ? (r.value as { kind: string }).kind : (r.reason as Error).name,
          );
        const versions = await Promise.all(
          people.map(async (p) => (await store.getIdentity(p.id))!.version ?? 0),
        );
        assert.deepEqual(
          await together([
            await decided(0, "a"),
            await decided(1, "b"), // its session was revoked
            await decided(0, "c"), // the same identity, decided on the same version: decided again, not lost
            await decided(3, "e"),
          ]),
          ["done", "session_inactive", "done", "done"],
        );
        // One write failing (another identity's external id) fails none of the others.
        assert.deepEqual(
          await together([await decided(2, "d", { externalId: taken }), await decided(3, "f")]),
          ["ConflictError", "done"],
        );
        const read = await Promise.all(people.map((p) => store.getIdentity(p.id)));
        assert.deepEqual(read[0]?.metadataPublic, { a: true, c: true });
        assert.deepEqual(
          read.map((r, i) => (r?.version ?? 0) - versions[i]!),
          [2, 0, 0, 2],
        );
        assert.deepEqual(read[3]?.metadataPublic, { e: true, f: true });
        const types = async (i: number) =>
          (await store.listSecurityEvents(people[i]!.id, { limit: 10 })).map((e) => e.type).sort();
        assert.deepEqual(await Promise.all([0, 1, 2, 3].map(types)), [
          ["changed_a", "changed_c"],
          [],
          [],
          ["changed_e", "changed_f"],
        ]);
        const states = await Promise.all(flows.map(async (f) => (await store.getFlow(f.id))?.state));
        assert.deepEqual(states, ["success", "show_form", "show_form", "success"]);
      });

      test("a change decided on a state another write replaced is decided again on the current one", async () => {
        const created = await store.createIdentity(identity());
        const stale = (await store.getIdentity(created.id))!;
        await store.mutateIdentity(created.id, addKey("first"));
        const second = await store.mutateIdentity(created.id, addKey("second"), { decidedOn: stale });
        assert.equal(second.kind, "done");
        const read = await store.getIdentity(created.id);
        assert.deepEqual(read?.metadataPublic, { first: true, second: true }, "the first write survives");
        assert.equal(read?.version, 2);
      });

      test("concurrent mutations of one identity all survive, one version each", async () => {
        const created = await store.createIdentity(identity());
        const keys = Array.from({ length: 25 }, (_, i) => `k${i}`);
        const results = await Promise.all(keys.map((key) => store.mutateIdentity(created.id, addKey(key))));
        assert.ok(results.every((r) => r.kind === "done"));
        const read = await store.getIdentity(created.id);
        assert.deepEqual(Object.keys(read?.metadataPublic as object).sort(), [...keys].sort());
        assert.equal(read?.version, keys.length);
      });

      test("a blind update also bumps the version", async () => {
        const created = await store.createIdentity(identity());
        const written = await store.updateIdentity({ ...created, traits: { email: uniqueEmail() } });
        assert.equal(written.version, 1);
        assert.equal((await store.getIdentity(created.id))?.version, 1);
      });
    });

    describe("identity uniqueness", () => {
      test("a duplicate identifier on create is a conflict and writes nothing", async () => {
        const existing = await store.createIdentity(identity());
        const taken = existing.traits.email as string;
        const intruder = identity();
        const ownEmail = intruder.traits.email as string;
        // The clash is in the second credential, after rows for the identity and the first credential.
        intruder.credentials = [
          credential(intruder.id, { type: "code", identifiers: [ownEmail] }),
          credential(intruder.id, { type: "password", identifiers: [ownEmail, taken], createdAt: at(1) }),
        ];

        await assertConflict(store.createIdentity(intruder), "credentials.identifiers");
        assert.equal(await store.getIdentity(intruder.id), undefined);
        assert.equal(await store.findIdentityByCredentialIdentifier("code", ownEmail), undefined);
        assert.equal(await store.findIdentityByCredentialIdentifier("password", ownEmail), undefined);
        assert.deepEqual(await store.getIdentity(existing.id), existing);
        // Its addresses were not kept either: another identity can take them.
        const later = identity();
        later.verifiableAddresses = [verifiableAddress(later.id, ownEmail)];
        later.recoveryAddresses = [recoveryAddress(later.id, ownEmail)];
        await store.createIdentity(later);
      });

      test("a duplicate identifier on update is a conflict and changes nothing", async () => {
        const other = await store.createIdentity(identity());
        const target = await store.createIdentity(identity());
        const changed: FullIdentity = {
          ...target,
          traits: { email: other.traits.email },
          updatedAt: at(500),
          credentials: [
            credential(target.id, { type: "password", identifiers: [other.traits.email as string] }),
          ],
          verifiableAddresses: [verifiableAddress(target.id, uniqueEmail())],
          recoveryAddresses: [],
        };

        await assertConflict(store.updateIdentity(changed), "credentials.identifiers");
        assert.deepEqual(await store.getIdentity(target.id), target);
        assert.deepEqual(await store.getIdentity(other.id), other);
      });

      test("a duplicate identifier within one credential is a conflict", async () => {
        const input = identity();
        const email = input.traits.email as string;
        input.credentials = [credential(input.id, { type: "password", identifiers: [email, email] })];
        await assertConflict(store.createIdentity(input), "credentials.identifiers");
        assert.equal(await store.getIdentity(input.id), undefined);
      });

      test("a duplicate verifiable address is a conflict on create and on update", async () => {
        const existing = await store.createIdentity(identity());
        const taken = existing.verifiableAddresses[0]!.value;

        const intruder = identity();
        intruder.verifiableAddresses = [verifiableAddress(intruder.id, taken)];
        await assertConflict(store.createIdentity(intruder), "verifiable_addresses");
        assert.equal(await store.getIdentity(intruder.id), undefined);

        const target = await store.createIdentity(identity());
        await assertConflict(
          store.updateIdentity({
            ...target,
            traits: { email: taken },
            verifiableAddresses: [verifiableAddress(target.id, taken)],
          }),
          "verifiable_addresses",
        );
        assert.deepEqual(await store.getIdentity(target.id), target);
        assert.deepEqual(await store.getIdentity(existing.id), existing);
      });

      test("the same value by another channel is no conflict", async () => {
        const existing = await store.createIdentity(identity());
        const value = existing.verifiableAddresses[0]!.value;
        const other = identity();
        other.verifiableAddresses = [verifiableAddress(other.id, value, { via: "sms" })];
        await store.createIdentity(other);
      });

      test("a duplicate recovery address is a conflict", async () => {
        const existing = await store.createIdentity(identity());
        const intruder = identity();
        intruder.recoveryAddresses = [recoveryAddress(intruder.id, existing.recoveryAddresses[0]!.value)];
        await assertConflict(store.createIdentity(intruder), "recovery_addresses");
        assert.equal(await store.getIdentity(intruder.id), undefined);
      });

      test("a duplicate external id is a conflict", async () => {
        const externalId = `ext-${randomUUID()}`;
        await store.createIdentity(identity({ externalId }));
        const intruder = identity({ externalId });
        await assertConflict(store.createIdentity(intruder), "external_id");
        assert.equal(await store.getIdentity(intruder.id), undefined);
      });

      test("concurrent creates with the same identifier: exactly one wins", async () => {
        const email = uniqueEmail("race");
        const contenders = Array.from({ length: 4 }, () => {
          const contender = identity();
          contender.credentials = [credential(contender.id, { type: "password", identifiers: [email] })];
          return contender;
        });
        const results = await Promise.allSettled(contenders.map((c) => store.createIdentity(c)));
        const winners = results.filter((r) => r.status === "fulfilled");
        assert.equal(winners.length, 1);
        for (const result of results) {
          if (result.status === "rejected") assert.ok(result.reason instanceof ConflictError);
        }
        const owner = await store.findIdentityByCredentialIdentifier("password", email);
        assert.deepEqual(owner, (winners[0] as PromiseFulfilledResult<FullIdentity>).value);
      });
    });

    describe("listing identities", () => {
      /** Creates identities whose ids sort in creation order. */
      async function createNumbered(count: number): Promise<FullIdentity[]> {
        const prefix = randomUUID();
        const created: FullIdentity[] = [];
        for (let i = 0; i < count; i++) {
          created.push(
            await store.createIdentity(identity({ id: `${prefix}-${String(i).padStart(3, "0")}` })),
          );
        }
        return created;
      }

      test("pages through an ids filter with page tokens", async () => {
        const created = await createNumbered(5);
        const ids = created.map((i) => i.id);
        const unknown = randomUUID();

        const first = await store.listIdentities({ pageSize: 2, ids: [...ids, unknown].reverse() });
        assert.deepEqual(first.identities, created.slice(0, 2));
        assert.equal(first.nextPageToken, ids[1]);

        const second = await store.listIdentities({ pageSize: 2, ids, pageToken: first.nextPageToken });
        assert.deepEqual(second.identities, created.slice(2, 4));
        assert.equal(second.nextPageToken, ids[3]);

        const last = await store.listIdentities({ pageSize: 2, ids, pageToken: second.nextPageToken });
        assert.deepEqual(last.identities, created.slice(4));
        assert.equal(last.nextPageToken, undefined);
      });

      test("a page that ends exactly at the last identity has no next token", async () => {
        const created = await createNumbered(4);
        const ids = created.map((i) => i.id);
        const first = await store.listIdentities({ pageSize: 2, ids });
        const second = await store.listIdentities({ pageSize: 2, ids, pageToken: first.nextPageToken });
        assert.deepEqual(second.identities, created.slice(2));
        assert.equal(second.nextPageToken, undefined);
        assert.equal("nextPageToken" in second, false);
      });

      test("walking all pages visits every identity once, in id order", async () => {
        const created = await createNumbered(3);
        const seen: string[] = [];
        let pageToken: string | undefined;
        do {
          const page = await store.listIdentities({ pageSize: 3, ...(pageToken ? { pageToken } : {}) });
          assert.ok(page.identities.length <= 3);
          seen.push(...page.identities.map((i) => i.id));
          pageToken = page.nextPageToken;
        } while (pageToken !== undefined);
        assert.deepEqual(
          seen,
          [...seen].sort((a, b) => (a < b ? -1 : 1)),
        );
        assert.equal(new Set(seen).size, seen.length);
        for (const { id } of created) assert.ok(seen.includes(id), `missing ${id}`);
      });

      test("filters by exact credential identifier, of any type", async () => {
        const target = await store.createIdentity(identity());
        const email = target.traits.email as string;
        await store.createIdentity(identity());

        const found = await store.listIdentities({ pageSize: 10, credentialsIdentifier: email });
        assert.deepEqual(found, { identities: [target] });
        const partial = await store.listIdentities({
          pageSize: 10,
          credentialsIdentifier: email.slice(0, -1),
        });
        assert.deepEqual(partial.identities, []);

        const viaCode = identity();
        const code = uniqueEmail("code");
        viaCode.credentials = [credential(viaCode.id, { type: "code", identifiers: [code] })];
        await store.createIdentity(viaCode);
        const byCode = await store.listIdentities({ pageSize: 10, credentialsIdentifier: code });
        assert.deepEqual(
          byCode.identities.map((i) => i.id),
          [viaCode.id],
        );
      });

      test("combines the ids and identifier filters", async () => {
        const [a, b] = await createNumbered(2);
        const email = a!.traits.email as string;
        const both = await store.listIdentities({
          pageSize: 10,
          ids: [a!.id, b!.id],
          credentialsIdentifier: email,
        });
        assert.deepEqual(both.identities, [a]);
        const neither = await store.listIdentities({
          pageSize: 10,
          ids: [b!.id],
          credentialsIdentifier: email,
        });
        assert.deepEqual(neither.identities, []);
      });
    });

    describe("sessions", () => {
      test("round-trip by id and by token, with and without the identity", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id, {
          aal: "aal2",
          authenticationMethods: [
            { method: "password", aal: "aal1", completedAt: at(10) },
            { method: "oidc", aal: "aal1", completedAt: at(11), provider: "google" },
          ],
          devices: [
            { id: randomUUID(), ipAddress: "198.51.100.1", userAgent: "Mozilla/5.0", location: "Berlin, DE" },
          ],
        });
        await store.createSession(input);

        assert.deepEqual(await store.getSession(input.id), input);
        assert.deepEqual(await store.getSessionByToken(input.token), input);
        assert.deepEqual(await store.getSessionWithIdentityByToken(input.token), {
          session: input,
          identity: owner,
        });
        assert.equal(await store.getSession(randomUUID()), undefined);
        assert.equal(await store.getSessionByToken(`ory_st_${randomUUID()}`), undefined);
        assert.equal(await store.getSessionWithIdentityByToken(`ory_st_${randomUUID()}`), undefined);
      });

      test("lookups asked for together each get their own answer", async () => {
        const people = await Promise.all([1, 2, 3].map(() => store.createIdentity(identity())));
        const sessions = people.map((p) => session(p.id));
        for (const s of sessions) await store.createSession(s);
        // Read once, so that the identities are kept and the next lookups can name them.
        for (const s of sessions) await store.getSessionWithIdentityByToken(s.token);
        const changed = await store.updateIdentity({ ...people[1]!, traits: { ...people[1]!.traits, n: 1 } });
        const unknown = `ory_st_${randomUUID()}`;
        const tokens = [
          sessions[0]!.token,
          unknown,
          sessions[1]!.token,
          sessions[2]!.token,
          sessions[0]!.token,
        ];
        const [lookups, heads] = await Promise.all([
          Promise.all(tokens.map((t) => store.getSessionWithIdentityByToken(t))),
          Promise.all(tokens.map((t) => store.getWhoamiHead(t))),
        ]);
        const owners = [people[0]!, undefined, changed, people[2]!, people[0]!];
        assert.deepEqual(
          lookups.map((l) => l && { session: l.session.id, identity: unversioned(l.identity) }),
          owners.map(
            (o, i) => o && { session: sessions[[0, -1, 1, 2, 0][i]!]!.id, identity: unversioned(o) },
          ),
        );
        assert.deepEqual(
          heads.map((h) => h?.sessionId),
          [sessions[0]!.id, undefined, sessions[1]!.id, sessions[2]!.id, sessions[0]!.id],
        );

        const flows = people.map((p) => flow({ identityId: p.id }));
        for (const f of flows) await store.createFlow(f);
        const pending = addressChange(people[2]!.id);
        await store.createAddressChange(pending, []);
        const reads = await Promise.all([
          store.getFlowAndPendingChange(flows[2]!.id, people[2]!.id),
          store.getFlowAndPendingChange(randomUUID(), people[0]!.id),
          store.getFlowAndPendingChange(flows[0]!.id, people[0]!.id),
        ]);
        assert.deepEqual(reads, [
          { flow: flows[2], pendingChange: pending },
          { flow: undefined, pendingChange: undefined },
          { flow: flows[0], pendingChange: undefined },
        ]);
      });

      test("whoami sees the identity as last written", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        const renamed = await store.updateIdentity({ ...owner, traits: { email: uniqueEmail() } });
        assert.deepEqual((await store.getSessionWithIdentityByToken(input.token))?.identity, renamed);
      });

      test("whoami's lookup: the session and the identity without credentials nor admin metadata", async () => {
        const base = identity();
        const owner = await store.createIdentity({
          ...base,
          stateChangedAt: at(5),
          metadataPublic: "a string",
          metadataAdmin: { secret: true },
          externalId: `ext-${randomUUID()}`,
          verifiableAddresses: [
            { ...base.verifiableAddresses[0]!, verified: true, status: "completed", verifiedAt: at(7) },
            verifiableAddress(base.id, uniqueEmail("second")),
          ],
          recoveryAddresses: [...base.recoveryAddresses, recoveryAddress(base.id, uniqueEmail("second"))],
        });
        const input = session(owner.id, {
          authenticationMethods: [{ method: "oidc", aal: "aal1", completedAt: at(11), provider: "google" }],
        });
        await store.createSession(input);
        assert.deepEqual(await store.getSessionForWhoami(input.token), {
          session: input,
          identity: { ...owner, credentials: [], metadataAdmin: null },
        });
        const bare = await store.createIdentity(identity({ verifiableAddresses: [], recoveryAddresses: [] }));
        const other = session(bare.id);
        await store.createSession(other);
        assert.deepEqual((await store.getSessionForWhoami(other.token))?.identity, {
          ...bare,
          credentials: [],
          metadataAdmin: null,
        });
        assert.equal(await store.getSessionForWhoami(`ory_st_${randomUUID()}`), undefined);
      });

      test("whoami's head: the session, and a stamp that every identity write changes", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        const first = await store.getWhoamiHead(input.token);
        assert.deepEqual(first?.session(), input);
        assert.equal(first?.sessionId, input.id);
        assert.equal(first?.identityId, owner.id);
        assert.equal(first?.identityState, "active");
        // Every change whoami would show moves the session's stamp; the row as written is the same.
        const sessionStamps = new Set([first!.sessionStamp]);
        for (const changed of [
          { ...input, aal: "aal2" as const },
          { ...input, aal: "aal2" as const, devices: [{ id: randomUUID(), userAgent: "other" }] },
          { ...input, aal: "aal2" as const, expiresAt: at(99_999) },
        ]) {
          await store.updateSession(changed);
          const head = await store.getWhoamiHead(input.token);
          sessionStamps.add(head!.sessionStamp);
          assert.deepEqual(head?.session(), changed);
        }
        assert.equal(sessionStamps.size, 4);
        assert.equal((await store.getWhoamiHead(input.token))?.sessionStamp, [...sessionStamps].at(-1));
        // The clock is frozen in these writes: only the version tells them apart.
        const stamps = new Set([first!.identityStamp]);
        const verified = await store.mutateIdentity(owner.id, (current) => ({
          identity: {
            ...current,
            verifiableAddresses: current.verifiableAddresses.map((a) => ({ ...a, verified: true })),
          },
          value: undefined,
        }));
        assert.equal(verified.kind, "done");
        stamps.add((await store.getWhoamiHead(input.token))!.identityStamp);
        await store.mutateIdentity(owner.id, (current) => ({
          identity: { ...current, recoveryAddresses: [] },
          value: undefined,
        }));
        stamps.add((await store.getWhoamiHead(input.token))!.identityStamp);
        await store.mutateIdentity(owner.id, (current) => ({
          identity: { ...current, state: "inactive" },
          value: undefined,
        }));
        const last = await store.getWhoamiHead(input.token);
        stamps.add(last!.identityStamp);
        assert.equal(stamps.size, 4);
        assert.equal(last?.identityState, "inactive");
        assert.equal(await store.getWhoamiHead(`ory_st_${randomUUID()}`), undefined);
      });

      describe("the session lookup's identity, kept between lookups", () => {
        /**
         * Traits whose keys are in neither insertion nor PostgreSQL's jsonb order, with a
         * `__proto__` key of their own (as JSON.parse makes it: a copy must not turn it into a prototype).
         */
        const unordered = (email: string, n: number): Record<string, unknown> => ({
          zeta: n,
          email,
          a: { longer_key: [n, { y: 1, x: 2 }], b: null },
          name: { last: `L${n}`, first: "F" },
          own: JSON.parse(`{"__proto__": {"n": ${n}}}`),
        });

        /** The lookup answers what a fresh read of the identity answers, keys in the same order. */
        async function assertAsStored(reader: Store, token: string, id: string): Promise<FullIdentity> {
          const found = await reader.getSessionWithIdentityByToken(token);
          const stored = await reader.getIdentity(id);
          assert.ok(found && stored);
          assert.deepStrictEqual(found.identity, stored);
          assert.equal(JSON.stringify(found.identity.traits), JSON.stringify(stored.traits));
          return found.identity;
        }

        test("after reads, row writes and child writes, the identity is the stored one", async () => {
          const base = identity();
          const owner = await store.createIdentity({ ...base, traits: unordered(uniqueEmail(), 0) });
          const input = session(owner.id);
          await store.createSession(input);
          let seen = await assertAsStored(store, input.token, owner.id);
          assert.deepStrictEqual(await assertAsStored(store, input.token, owner.id), seen);
          for (let n = 1; n <= 3; n++) {
            // A change decided on the identity as looked up, writing the identity row alone.
            const decidedOn = seen;
            const written = await store.mutateIdentity(
              owner.id,
              (current) => ({
                identity: {
                  ...current,
                  traits: unordered(current.traits.email as string, n),
                  metadataPublic: { n },
                },
                value: undefined,
              }),
              { decidedOn },
            );
            assert.equal(written.kind, "done");
            seen = await assertAsStored(store, input.token, owner.id);
            assert.equal(seen.traits.zeta, n);
            assert.equal(seen.version, n);
          }
          // A child written (a credential's config, an address verified): read again, not kept over.
          await store.mutateIdentity(
            owner.id,
            (current) => ({
              identity: {
                ...current,
                credentials: current.credentials.map((c) => ({ ...c, config: { hashed_password: "new" } })),
                verifiableAddresses: current.verifiableAddresses.map((a) => ({ ...a, verified: true })),
              },
              value: undefined,
            }),
            { decidedOn: seen },
          );
          seen = await assertAsStored(store, input.token, owner.id);
          assert.deepEqual(seen.credentials[0]?.config, { hashed_password: "new" });
          assert.equal(seen.verifiableAddresses[0]?.verified, true);
        });

        test("a caller's changes to the identity it was given reach no other caller", async () => {
          const owner = await store.createIdentity(identity());
          const input = session(owner.id);
          await store.createSession(input);
          for (let i = 0; i < 2; i++) {
            const found = await store.getSessionWithIdentityByToken(input.token);
            assert.ok(found);
            found.identity.traits.email = "changed@example.com";
            found.identity.credentials[0]!.identifiers.push("changed");
            found.identity.verifiableAddresses.pop();
            found.identity.createdAt.setTime(0);
          }
          assert.deepStrictEqual((await store.getSessionWithIdentityByToken(input.token))?.identity, owner);
        });

        // An in-memory database has no second process.
        if (options.secondProcess)
          test("a write by another process is seen at once", async () => {
            assert.ok(openAnother, "a contract with secondProcess opens another store");
            const other = await openAnother();
            try {
              const owner = await store.createIdentity(identity({ traits: unordered(uniqueEmail(), 0) }));
              const input = session(owner.id);
              await store.createSession(input);
              let seen = await assertAsStored(store, input.token, owner.id);
              for (const [writer, reader] of [
                [other, store],
                [store, other],
                [other, store],
              ] as const) {
                const decidedOn = (await writer.getSessionWithIdentityByToken(input.token))!.identity;
                await writer.mutateIdentity(
                  owner.id,
                  (current) => ({
                    identity: {
                      ...current,
                      traits: unordered(current.traits.email as string, seen.version! + 1),
                    },
                    value: undefined,
                  }),
                  { decidedOn },
                );
                seen = await assertAsStored(reader, input.token, owner.id);
                assert.equal(seen.traits.zeta, decidedOn.version! + 1);
              }
              // A session revoked elsewhere is not answered from what was kept.
              await other.revokeSession(input.id);
              assert.equal((await store.getSessionWithIdentityByToken(input.token))?.session.active, false);
            } finally {
              await other.close();
            }
          });
      });

      test("a duplicate token is a conflict", async () => {
        const owner = await store.createIdentity(identity());
        const first = session(owner.id);
        await store.createSession(first);
        await assertConflict(store.createSession(session(owner.id, { token: first.token })), "token");
      });

      test("update writes every field", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        const refreshed = {
          ...input,
          aal: "aal2" as const,
          authenticatedAt: at(60_000),
          expiresAt: at(172_800_000),
          authenticationMethods: [
            ...input.authenticationMethods,
            { method: "totp", aal: "aal2" as const, completedAt: at(60_000) },
          ],
          devices: [],
          updatedAt: at(60_000),
        };
        await store.updateSession(refreshed);
        assert.deepEqual(await store.getSession(input.id), refreshed);
      });

      test("an update that changes the token, logout token or owner moves the session's lookups with it", async () => {
        const owner = await store.createIdentity(identity());
        const heir = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        const moved = { ...input, token: randomUUID(), logoutToken: randomUUID(), identityId: heir.id };
        await store.updateSession(moved);
        assert.deepEqual(await store.getSessionByToken(moved.token), moved);
        assert.equal(await store.getSessionByToken(input.token), undefined);
        assert.deepEqual(
          (await store.listSessions(heir.id)).map((s) => s.id),
          [input.id],
        );
        assert.deepEqual(await store.listSessions(owner.id), []);
      });

      test("lists an identity's sessions, newest first, optionally only active ones", async () => {
        const owner = await store.createIdentity(identity());
        const older = session(owner.id, { createdAt: at(1) });
        const newer = session(owner.id, { createdAt: at(2) });
        const revoked = session(owner.id, { createdAt: at(3), active: false });
        const stranger = await store.createIdentity(identity());
        for (const s of [older, newer, revoked, session(stranger.id)]) await store.createSession(s);

        assert.deepEqual(await store.listSessions(owner.id), [revoked, newer, older]);
        assert.deepEqual(await store.listSessions(owner.id, { active: true }), [newer, older]);
        assert.deepEqual(await store.listSessions(owner.id, { active: false }), [revoked]);
        assert.deepEqual(await store.listSessions(randomUUID()), []);
      });

      test("revokes one session", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        assert.equal(await store.revokeSession(input.id), true);
        assert.deepEqual(await store.getSession(input.id), { ...input, active: false });
        assert.equal(await store.revokeSession(randomUUID()), false);
      });

      test("revokes all other active sessions of an identity and counts them", async () => {
        const owner = await store.createIdentity(identity());
        const current = session(owner.id);
        const others = [session(owner.id), session(owner.id)];
        const alreadyRevoked = session(owner.id, { active: false });
        const stranger = await store.createIdentity(identity());
        const strangers = session(stranger.id);
        for (const s of [current, ...others, alreadyRevoked, strangers]) await store.createSession(s);

        assert.equal(await store.revokeSessionsOfIdentity(owner.id, current.id), 2);
        assert.equal((await store.getSession(current.id))?.active, true);
        for (const s of others) assert.equal((await store.getSession(s.id))?.active, false);
        assert.equal((await store.getSession(strangers.id))?.active, true);
        assert.equal(await store.revokeSessionsOfIdentity(owner.id, current.id), 0);

        assert.equal(await store.revokeSessionsOfIdentity(owner.id), 1);
        assert.equal((await store.getSession(current.id))?.active, false);
      });

      test("deletes all sessions of an identity and counts them", async () => {
        const owner = await store.createIdentity(identity());
        const mine = [session(owner.id), session(owner.id, { active: false })];
        const stranger = await store.createIdentity(identity());
        const theirs = session(stranger.id);
        for (const s of [...mine, theirs]) await store.createSession(s);

        assert.equal(await store.deleteSessionsOfIdentity(owner.id), 2);
        assert.deepEqual(await store.listSessions(owner.id), []);
        assert.deepEqual(await store.getSession(theirs.id), theirs);
      });

      test("pages through all sessions by id, optionally only active ones", async () => {
        const owner = await store.createIdentity(identity());
        const prefix = randomUUID();
        const mine = Array.from({ length: 5 }, (_, i) =>
          session(owner.id, { id: `${prefix}-${i}`, active: i !== 2 }),
        );
        for (const s of mine) await store.createSession(s);

        async function walk(active?: boolean) {
          const seen: string[] = [];
          let pageToken: string | undefined;
          do {
            const page = await store.listAllSessions({
              pageSize: 2,
              ...(pageToken ? { pageToken } : {}),
              ...(active === undefined ? {} : { active }),
            });
            assert.ok(page.sessions.length <= 2);
            if (active !== undefined) for (const s of page.sessions) assert.equal(s.active, active);
            seen.push(...page.sessions.map((s) => s.id));
            pageToken = page.nextPageToken;
          } while (pageToken !== undefined);
          assert.equal(new Set(seen).size, seen.length);
          assert.deepEqual(
            seen,
            [...seen].sort((a, b) => (a < b ? -1 : 1)),
          );
          return seen.filter((id) => id.startsWith(prefix));
        }

        assert.deepEqual(
          await walk(),
          mine.map((s) => s.id),
        );
        assert.deepEqual(
          await walk(true),
          mine.filter((s) => s.active).map((s) => s.id),
        );
        assert.deepEqual(await walk(false), [mine[2]!.id]);
      });

      test("deleting an identity deletes its sessions", async () => {
        const owner = await store.createIdentity(identity());
        const input = session(owner.id);
        await store.createSession(input);
        await store.deleteIdentity(owner.id);
        assert.equal(await store.getSession(input.id), undefined);
        assert.equal(await store.getSessionByToken(input.token), undefined);
        assert.equal(await store.getSessionWithIdentityByToken(input.token), undefined);
      });
    });

    describe("flows", () => {
      test("create, get and update round-trip the JSON columns", async () => {
        const owner = await store.createIdentity(identity());
        const input = flow({
          identityId: owner.id,
          returnTo: "https://app.example.org/after",
          active: "profile",
        });
        await store.createFlow(input);
        assert.deepEqual(await store.getFlow(input.id), input);

        const submitted = {
          ...input,
          state: "success",
          active: "password",
          ui: {
            ...input.ui,
            messages: [{ id: 1050001, type: "success", text: "Your changes have been saved!" }],
          },
          data: {},
          internalContext: { continuity: { name: "x", at: "2026-03-01T10:00:00.000Z" } },
          updatedAt: at(30_000),
        };
        await store.updateFlow(submitted);
        assert.deepEqual(await store.getFlow(input.id), submitted);
      });

      test("an update that gives the flow another identity writes it", async () => {
        const owner = await store.createIdentity(identity());
        const other = await store.createIdentity(identity());
        const input = flow({ identityId: owner.id });
        await store.createFlow(input);
        await store.updateFlow({ ...input, identityId: other.id, updatedAt: at(1_000) });
        assert.equal((await store.getFlow(input.id))?.identityId, other.id);
        await store.updateFlow({ ...input, identityId: null, updatedAt: at(2_000) });
        assert.equal((await store.getFlow(input.id))?.identityId, null);
      });

      test("a state transition is a compare-and-set: of two concurrent claims one wins", async () => {
        const input = flow({ kind: "registration", state: "choose_method" });
        await store.createFlow(input);
        const claims = await Promise.all([
          store.transitionFlow(input.id, "choose_method", "passed_challenge", at(10)),
          store.transitionFlow(input.id, "choose_method", "passed_challenge", at(11)),
        ]);
        assert.deepEqual([...claims].sort(), [false, true]);
        const read = await store.getFlow(input.id);
        assert.equal(read?.state, "passed_challenge");
        assert.equal(
          await store.transitionFlow(randomUUID(), "choose_method", "passed_challenge", at(12)),
          false,
        );
      });

      test("an update of an older copy does not reopen a used flow", async () => {
        const input = flow({ kind: "login", state: "choose_method" });
        await store.createFlow(input);
        assert.equal(await store.transitionFlow(input.id, "choose_method", "passed_challenge", at(10)), true);
        await store.updateFlow({ ...input, active: "password", updatedAt: at(20) });
        const read = await store.getFlow(input.id);
        assert.equal(read?.state, "passed_challenge");
        assert.equal(read?.active, "password");
        // A deliberate transition back (releasing a claim) is still possible.
        assert.equal(await store.transitionFlow(input.id, "passed_challenge", "choose_method", at(30)), true);
      });

      test("attempts are counted atomically, per flow and generation, and go with their flow", async () => {
        const input = flow({ kind: "verification", state: "sent_email" });
        const other = flow({ kind: "recovery", state: "sent_email" });
        await store.createFlow(input);
        await store.createFlow(other);
        // Concurrent attempts each get their own number: none is lost, none counted twice.
        const counts = await Promise.all(
          Array.from({ length: 12 }, () => store.countFlowAttempt(input.id, "g1")),
        );
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
        // A flow update does not touch the count.
        await store.updateFlow({ ...input, internalContext: { x: 1 }, updatedAt: at(20) });
        assert.equal(await store.countFlowAttempt(input.id, "g1"), 13);
        assert.equal(await store.countFlowAttempt(input.id, "g2"), 1);
        assert.equal(await store.countFlowAttempt(other.id, "g1"), 1);
        assert.ok((await store.deleteExpired("flows", new Date(input.expiresAt.getTime() + 1), 1000)) >= 2);
        await store.createFlow(input);
        assert.equal(await store.countFlowAttempt(input.id, "g1"), 1, "the count went with its flow");
      });

      test("keeps nulls and the kind", async () => {
        const input = flow({ kind: "login", type: "api" });
        await store.createFlow(input);
        assert.deepEqual(await store.getFlow(input.id), input);
        assert.equal(await store.getFlow(randomUUID()), undefined);
      });
    });

    describe("continuity containers", () => {
      test("save, overwrite, get and delete", async () => {
        const input = continuity();
        await store.saveContinuity(input);
        assert.deepEqual(await store.getContinuity(input.id), input);

        const overwritten = { ...input, payload: { replaced: true }, expiresAt: at(900_000) };
        await store.saveContinuity(overwritten);
        assert.deepEqual(await store.getContinuity(input.id), overwritten);

        await store.deleteContinuity(input.id);
        assert.equal(await store.getContinuity(input.id), undefined);
        await store.deleteContinuity(input.id);
      });

      test("deletes an identity's containers by name, and only those", async () => {
        const owner = randomUUID();
        const stranger = randomUUID();
        const profile = continuity({ identityId: owner, name: "settings_profile" });
        const password = continuity({ identityId: owner, name: "settings_password" });
        const kept = continuity({ identityId: owner, name: "settings_oidc" });
        const strangers = continuity({ identityId: stranger, name: "settings_profile" });
        for (const c of [profile, password, kept, strangers]) await store.saveContinuity(c);

        await store.deleteContinuityByNames(owner, ["settings_profile", "settings_password"]);
        assert.equal(await store.getContinuity(profile.id), undefined);
        assert.equal(await store.getContinuity(password.id), undefined);
        assert.deepEqual(await store.getContinuity(kept.id), kept);
        assert.deepEqual(await store.getContinuity(strangers.id), strangers);

        await store.deleteContinuityByNames(owner, []);
        assert.deepEqual(await store.getContinuity(kept.id), kept);
      });
    });

    describe("errors", () => {
      test("save, get and mark seen", async () => {
        const input = storedError();
        await store.saveError(input);
        assert.deepEqual(await store.getError(input.id), input);
        await store.markErrorSeen(input.id, at(5_000));
        assert.deepEqual(await store.getError(input.id), {
          ...input,
          seenAt: at(5_000),
          updatedAt: at(5_000),
        });
        assert.equal(await store.getError(randomUUID()), undefined);
      });
    });

    describe("courier", () => {
      test("enqueue, list by status in creation order, and update", async () => {
        const messages = [
          courierMessage({ createdAt: at(3) }),
          courierMessage({ createdAt: at(1), type: "sms", recipient: "+15555550100" }),
          courierMessage({ createdAt: at(2) }),
        ];
        for (const m of messages) await store.enqueueMessage(m);
        const ours = (list: { id: string }[]) => list.filter((m) => messages.some((o) => o.id === m.id));

        const queued = ours(await store.listMessages({ status: "queued", limit: 1000 }));
        assert.deepEqual(queued, [messages[1], messages[2], messages[0]]);
        assert.equal((await store.listMessages({ limit: 2 })).length, 2);

        const sent = { ...messages[2]!, status: "sent" as const, sendCount: 1, updatedAt: at(10) };
        await store.updateMessage(sent);
        assert.deepEqual(ours(await store.listMessages({ status: "sent", limit: 1000 })), [sent]);
        assert.deepEqual(ours(await store.listMessages({ status: "queued", limit: 1000 })), [
          messages[1],
          messages[0],
        ]);
        assert.deepEqual(ours(await store.listMessages({ limit: 1000 })), [messages[1], sent, messages[0]]);
      });

      test("claim due messages once, settle only the current claim, take over stuck ones, page newest first", async () => {
        const recipient = uniqueEmail("claims");
        const messages = [
          courierMessage({ recipient, createdAt: at(1) }),
          courierMessage({ recipient, createdAt: at(2) }),
          courierMessage({ recipient, createdAt: at(3), sendAfter: at(50_000) }),
        ];
        for (const m of messages) await store.enqueueMessage(m);
        const ours = <T extends { id: string }>(list: T[]) =>
          list.filter((m) => messages.some((o) => o.id === m.id));
        const now = at(10_000);

        const claimed = ours(await store.claimMessages({ now, limit: 1000, stuckBefore: at(0) }));
        assert.deepEqual(
          claimed.map((m) => [m.id, m.status, m.sendCount, m.updatedAt.getTime()]),
          [
            [messages[0]!.id, "processing", 1, now.getTime()],
            [messages[1]!.id, "processing", 1, now.getTime()],
          ],
        );
        assert.deepEqual(ours(await store.claimMessages({ now, limit: 1000, stuckBefore: at(0) })), []);

        assert.equal(
          await store.settleMessage(messages[0]!.id, at(1), { status: "sent", updatedAt: at(11_000) }),
          false,
        );
        assert.equal(
          await store.settleMessage(messages[0]!.id, now, { status: "sent", updatedAt: at(11_000) }),
          true,
        );
        assert.equal(
          await store.settleMessage(messages[0]!.id, now, { status: "queued", updatedAt: at(12_000) }),
          false,
        );
        assert.equal((await store.getMessage(messages[0]!.id))?.status, "sent");

        // messages[1] stays processing: taken over once its claim is older than stuckBefore.
        const later = at(60_000);
        const retaken = ours(await store.claimMessages({ now: later, limit: 1000, stuckBefore: at(10_001) }));
        assert.deepEqual(
          retaken.map((m) => [m.id, m.sendCount]),
          [
            [messages[1]!.id, 2],
            [messages[2]!.id, 1],
          ],
        );

        const page = await store.pageMessages({ recipient, pageSize: 2 });
        assert.deepEqual(
          page.map((m) => m.id),
          [messages[2]!.id, messages[1]!.id, messages[0]!.id],
        );
        const rest = await store.pageMessages({ recipient, pageSize: 2, after: page[1]! });
        assert.deepEqual(
          rest.map((m) => m.id),
          [messages[0]!.id],
        );
        assert.deepEqual(
          (await store.pageMessages({ recipient, status: "sent", pageSize: 10 })).map((m) => m.id),
          [messages[0]!.id],
        );

        const dispatch = (id: string, ms: number, status: "failed" | "success") => ({
          id: randomUUID(),
          messageId: messages[1]!.id,
          status,
          error: status === "failed" ? { code: 500, message: id } : null,
          createdAt: at(ms),
          updatedAt: at(ms),
        });
        const older = dispatch("a", 1, "failed");
        const newer = dispatch("b", 2, "success");
        await store.recordDispatch(older);
        await store.recordDispatch(newer);
        assert.deepEqual(await store.listDispatches(messages[1]!.id), [newer, older]);
        assert.deepEqual(await store.listDispatches(messages[0]!.id), []);
      });
    });

    describe("security history and account deletion", () => {
      test("events go in with the identity, the session or the mutation, and list newest first", async () => {
        const someone = identity();
        await store.createIdentity(someone, [historyEntry(someone.id, 1, "registration")]);
        await store.createSession(session(someone.id), [historyEntry(someone.id, 2, "login")]);
        const result = await store.mutateIdentity(someone.id, (current) => ({
          identity: { ...current, traits: { ...current.traits, x: 1 } },
          value: null,
          events: [historyEntry(someone.id, 3, "settings")],
        }));
        assert.equal(result.kind, "done");
        // A mutation that writes nothing records nothing.
        await store.mutateIdentity(someone.id, () => ({
          value: null,
          events: [historyEntry(someone.id, 4, "settings")],
        }));
        await store.recordSecurityEvents([historyEntry(someone.id, 5, "login_failed")]);
        const list = await store.listSecurityEvents(someone.id, { limit: 10 });
        assert.deepEqual(
          list.map((e) => e.type),
          ["login_failed", "settings", "login", "registration"],
        );
        assert.deepEqual(list[0], { ...historyEntry(someone.id, 5, "login_failed"), id: list[0]!.id });
        assert.deepEqual(
          (await store.listSecurityEvents(someone.id, { limit: 10, before: at(3) })).map((e) => e.type),
          ["login", "registration"],
        );
      });

      test("a failed identity write records no event", async () => {
        const first = identity();
        await store.createIdentity(first);
        const clash = identity({ credentials: first.credentials.map((c) => ({ ...c, id: randomUUID() })) });
        await assert.rejects(store.createIdentity(clash, [historyEntry(clash.id, 1, "registration")]));
        assert.deepEqual(await store.listSecurityEvents(clash.id, { limit: 10 }), []);
      });

      test("deletions are scheduled, cancelled once, due by time, and go with the identity", async () => {
        const someone = identity();
        await store.createIdentity(someone);
        await store.scheduleDeletion({ identityId: someone.id, requestedAt: at(10), dueAt: at(100) }, [
          historyEntry(someone.id, 10, "deletion_requested"),
        ]);
        assert.deepEqual(await store.getDeletion(someone.id), {
          identityId: someone.id,
          requestedAt: at(10),
          dueAt: at(100),
        });
        assert.ok(!(await store.dueDeletions(at(99), 1000)).includes(someone.id));
        assert.ok((await store.dueDeletions(at(100), 1000)).includes(someone.id));
        assert.equal(
          await store.cancelDeletion(someone.id, [historyEntry(someone.id, 20, "deletion_cancelled")]),
          true,
        );
        assert.equal(
          await store.cancelDeletion(someone.id, [historyEntry(someone.id, 21, "deletion_cancelled")]),
          false,
        );
        assert.deepEqual(
          (await store.listSecurityEvents(someone.id, { limit: 10 })).map((e) => e.type),
          ["deletion_cancelled", "deletion_requested"],
        );
        await store.scheduleDeletion({ identityId: someone.id, requestedAt: at(30), dueAt: at(60) }, []);
        assert.ok(await store.deleteIdentity(someone.id));
        assert.equal(await store.getDeletion(someone.id), undefined);
        assert.deepEqual(await store.listSecurityEvents(someone.id, { limit: 10 }), []);
      });

      test("retention deletes only older entries", async () => {
        const someone = identity();
        await store.createIdentity(someone);
        await store.recordSecurityEvents([historyEntry(someone.id, 1), historyEntry(someone.id, 1000)]);
        assert.ok((await store.deleteSecurityEventsBefore(at(500))) >= 1);
        assert.equal((await store.listSecurityEvents(someone.id, { limit: 10 })).length, 1);
      });
    });

    describe("address changes", () => {
      const event = (identityId: string, ms: number, type: string) =>
        historyEntry(identityId, ms, type, { method: "profile", network: null, client: null });

      test("one pending change per identity: a new one cancels the older, with its history entry", async () => {
        const someone = identity();
        await store.createIdentity(someone);
        const first = addressChange(someone.id);
        await store.createAddressChange(first, [event(someone.id, 10, "address_change_requested")]);
        assert.deepEqual(await store.getAddressChange(first.id), first);
        assert.deepEqual(await store.pendingAddressChange(someone.id), first);
        assert.deepEqual(await store.findAddressChangeByRevertHmac(first.revertHmac!), first);
        const second = addressChange(someone.id, { createdAt: at(20), updatedAt: at(20), revertHmac: null });
        await store.createAddressChange(second, []);
        assert.equal((await store.getAddressChange(first.id))?.status, "cancelled");
        assert.equal((await store.pendingAddressChange(someone.id))?.id, second.id);
        assert.equal(await store.findAddressChangeByRevertHmac("unknown"), undefined);
        assert.deepEqual(
          (await store.listSecurityEvents(someone.id, { limit: 10 })).map((e) => e.type),
          ["address_change_requested"],
        );
      });

      test("a flow and an identity's pending change read together", async () => {
        const someone = await store.createIdentity(identity());
        const other = await store.createIdentity(identity());
        const settings = flow({ identityId: someone.id });
        await store.createFlow(settings);
        assert.deepEqual(await store.getFlowAndPendingChange(settings.id, someone.id), {
          flow: settings,
          pendingChange: undefined,
        });
        const older = addressChange(someone.id);
        await store.createAddressChange(older, []);
        const pending = addressChange(someone.id, { createdAt: at(20), updatedAt: at(20), revertHmac: null });
        await store.createAddressChange(pending, []);
        await store.createAddressChange(addressChange(other.id), []);
        assert.deepEqual(await store.getFlowAndPendingChange(settings.id, someone.id), {
          flow: settings,
          pendingChange: pending,
        });
        // Another identity's change is not this one's; a missing flow comes without one.
        assert.deepEqual(await store.getFlowAndPendingChange(settings.id, randomUUID()), {
          flow: settings,
          pendingChange: undefined,
        });
        assert.deepEqual(await store.getFlowAndPendingChange(randomUUID(), someone.id), {
          flow: undefined,
          pendingChange: undefined,
        });
      });

      test("transitions are compare-and-set, with their history entries only when they move", async () => {
        const someone = identity();
        await store.createIdentity(someone);
        const pending = addressChange(someone.id);
        await store.createAddressChange(pending, []);
        assert.equal(
          await store.transitionAddressChange(pending.id, "pending", "cancelled", at(30), [
            event(someone.id, 30, "address_change_cancelled"),
          ]),
          true,
        );
        assert.equal(
          await store.transitionAddressChange(pending.id, "pending", "applied", at(31), [
            event(someone.id, 31, "address_change_applied"),
          ]),
          false,
        );
        const stored = await store.getAddressChange(pending.id);
        assert.equal(stored?.status, "cancelled");
        assert.deepEqual(stored?.updatedAt, at(30));
        assert.equal(await store.pendingAddressChange(someone.id), undefined);
        assert.deepEqual(
          (await store.listSecurityEvents(someone.id, { limit: 10 })).map((e) => e.type),
          ["address_change_cancelled"],
        );
      });

      test("a mutation moves the change in its transaction, and writes nothing when the change moved", async () => {
        const someone = identity();
        await store.createIdentity(someone);
        const pending = addressChange(someone.id);
        await store.createAddressChange(pending, []);
        const applied = await store.mutateIdentity(someone.id, (current) => ({
          identity: { ...current, traits: { ...current.traits, applied: 1 } },
          value: null,
          events: [event(someone.id, 40, "address_change_applied")],
          addressChange: { id: pending.id, from: "pending", to: "applied" },
        }));
        assert.equal(applied.kind, "done");
        assert.equal((await store.getAddressChange(pending.id))?.status, "applied");
        const before = await store.getIdentity(someone.id);
        await assert.rejects(
          store.mutateIdentity(someone.id, (current) => ({
            identity: { ...current, traits: { ...current.traits, again: 1 } },
            value: null,
            events: [event(someone.id, 41, "address_change_applied")],
            addressChange: { id: pending.id, from: "pending", to: "applied" },
          })),
          AddressChangeMovedError,
        );
        assert.deepEqual(await store.getIdentity(someone.id), before, "rolled back");
        assert.deepEqual(
          (await store.listSecurityEvents(someone.id, { limit: 10 })).map((e) => e.type),
          ["address_change_applied"],
        );
        assert.ok(await store.deleteIdentity(someone.id));
        assert.equal(await store.getAddressChange(pending.id), undefined, "goes with the identity");
      });
    });

    test("timestamps keep milliseconds", async () => {
      const precise = new Date("2026-03-01T10:00:00.987Z");
      const input = identity({ createdAt: precise, updatedAt: precise, stateChangedAt: precise });
      await store.createIdentity(input);
      assert.equal((await store.getIdentity(input.id))?.createdAt.getTime(), precise.getTime());
      assert.ok(t0 < precise);
    });
  });
}
