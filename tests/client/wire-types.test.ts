/**
 * The client package's hand-written wire types (client/src/wire.ts, client/src/router.ts) against
 * the server's: every procedure's input and output must be the very type the server's router
 * infers (an optional field on one side only is drift too). The checks are types, so `npm run typecheck` fails
 * on drift; the test below only makes the file part of the suite and checks the runtime helpers'
 * view of a real flow.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { PublicRouter as ClientRouter } from "../../client/src/router.ts";
import type { PublicRouter as ServerRouter } from "../../server/trpc/public.ts";

/** `true` when A and B are assignable to each other (same shape, modulo optional `undefined`). */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/**
 * `true` when A and B are the same type. Mutual assignability misses an optional field on one side
 * only (`{ a?: string }` and `{}` are assignable both ways): a new optional input would go unnoticed.
 */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type SIn = inferRouterInputs<ServerRouter>;
type SOut = inferRouterOutputs<ServerRouter>;
type CIn = inferRouterInputs<ClientRouter>;
type COut = inferRouterOutputs<ClientRouter>;

/** For each procedure `ns.name`: [inputs match, outputs match]. */
type Report = {
  [NS in keyof SIn & keyof CIn]: {
    [P in keyof SIn[NS] & keyof CIn[NS]]: [
      Exact<SIn[NS][P], CIn[NS][P]>,
      NS extends keyof SOut & keyof COut
        ? P extends keyof SOut[NS] & keyof COut[NS]
          ? Exact<SOut[NS][P], COut[NS][P]>
          : false
        : false,
    ];
  };
};

type AllTrue<R> = {
  [NS in keyof R]: { [P in keyof R[NS]]: R[NS][P] extends [true, true] ? true : R[NS][P] };
};
type Expected<R> = { [NS in keyof R]: { [P in keyof R[NS]]: true } };

// A mismatch names the procedure and which side differs ([input ok, output ok]).
const procedures: Expected<Report> = {} as AllTrue<Report>;
// Same namespaces and procedures on both sides.
const sameNamespaces: Mutual<keyof SIn, keyof CIn> = true;
const sameProcedures: { [NS in keyof SIn & keyof CIn]: Mutual<keyof SIn[NS], keyof CIn[NS]> } = {
  registration: true,
  login: true,
  session: true,
  settings: true,
  verification: true,
  recovery: true,
  account: true,
};

test("the client package's router type matches the server's router, procedure by procedure", () => {
  // The assertions above are checked by the compiler (npm run typecheck); at run time they are values.
  assert.equal(sameNamespaces, true);
  assert.deepEqual(Object.values(sameProcedures), [true, true, true, true, true, true, true]);
  assert.ok(procedures);
});
