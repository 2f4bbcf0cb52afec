import { z } from "zod";
import type { CreateIdentityBody, JsonPatchOperation, UpdateIdentityBody } from "#shared/admin.ts";
import type { IdentityJson } from "#shared/identity.ts";
import type { SessionJson } from "#shared/session.ts";
import { identityHistory } from "../account/service.ts";
import {
  type CourierMessageJson,
  type CourierMessagePage,
  getCourierMessage,
  listCourierMessages,
} from "../courier/admin.ts";
import {
  createIdentity,
  deleteIdentity,
  deleteIdentityCredential,
  getIdentity,
  type IdentityPage,
  listIdentities,
  patchIdentity,
  updateIdentity,
} from "../identity/admin.ts";
import {
  type AdminSessionJson,
  deleteIdentitySessions,
  disableSession,
  extendSession,
  getSession,
  listIdentitySessions,
  listSessions,
  type SessionExpansion,
  type SessionPage,
} from "../session/admin.ts";
import { procedure, router } from "./init.ts";

/**
 * The admin tRPC router (admin listener: `/trpc/*`, or `/admin/trpc/*`), over the admin services
 * (server/identity/admin.ts, server/session/admin.ts) that the REST routes under `/admin/identities`
 * and `/admin/sessions` call. Bodies are typed with the shared/admin.ts schemas and validated by the
 * service itself, so a bad body is the same 400 (same reason, same details) through both doors.
 * Pages come back as `{ identities | sessions, nextPageToken? }` instead of a `Link` header.
 */

const id = z.string();
const page = {
  pageSize: z.number().int().optional(),
  pageToken: z.string().optional(),
};

/** `GET /admin/identities/{id}/history` (docs/account-features.md). */
const history = procedure
  .input(z.object({ id: z.string(), pageSize: z.number().int().optional(), before: z.string().optional() }))
  .query(({ ctx, input }) =>
    identityHistory(ctx.deps, input.id, { pageSize: input.pageSize ?? null, before: input.before ?? null }),
  );

const identities = router({
  history,
  /** `GET /admin/identities`. At most one filter (`ids`, `credentialsIdentifier`, `organizationId`). */
  list: procedure
    .input(
      z
        .object({
          ...page,
          ids: z.array(z.string()).optional(),
          credentialsIdentifier: z.string().optional(),
          organizationId: z.string().optional(),
          includeCredential: z.array(z.string()).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }): Promise<IdentityPage> => listIdentities(ctx.deps, input ?? {})),
  /** `GET /admin/identities/{id}?include_credential=`. */
  get: procedure
    .input(z.object({ id, includeCredential: z.array(z.string()).optional() }))
    .query(
      ({ ctx, input }): Promise<IdentityJson> =>
        getIdentity(ctx.deps, input.id, { includeCredential: input.includeCredential ?? [] }),
    ),
  /** `POST /admin/identities` (plain or imported hashed password, verified addresses, ...). */
  create: procedure
    .input(z.custom<CreateIdentityBody>())
    .mutation(({ ctx, input }): Promise<IdentityJson> => createIdentity(ctx.deps, input)),
  /** `PUT /admin/identities/{id}`: replaces traits and metadata. */
  update: procedure
    .input(z.object({ id, body: z.custom<UpdateIdentityBody>() }))
    .mutation(({ ctx, input }): Promise<IdentityJson> => updateIdentity(ctx.deps, input.id, input.body)),
  /** `PATCH /admin/identities/{id}`: an RFC 6902 JSON Patch. */
  patch: procedure
    .input(z.object({ id, patch: z.custom<JsonPatchOperation[]>() }))
    .mutation(({ ctx, input }): Promise<IdentityJson> => patchIdentity(ctx.deps, input.id, input.patch)),
  /** `DELETE /admin/identities/{id}`: the identity, its credentials, addresses and sessions. */
  delete: procedure
    .input(z.object({ id }))
    .mutation(async ({ ctx, input }): Promise<void> => deleteIdentity(ctx.deps, input.id)),
  /** `DELETE /admin/identities/{id}/credentials/{type}?identifier=`. */
  deleteCredential: procedure
    .input(z.object({ id, type: z.string(), identifier: z.string().optional() }))
    .mutation(
      async ({ ctx, input }): Promise<void> =>
        deleteIdentityCredential(ctx.deps, input.id, input.type, input.identifier),
    ),
  /** `GET /admin/identities/{id}/sessions`. */
  sessions: procedure
    .input(z.object({ id, ...page, active: z.boolean().optional() }))
    .query(
      ({ ctx, input: { id, ...rest } }): Promise<{ sessions: SessionJson[]; nextPageToken?: string }> =>
        listIdentitySessions(ctx.deps, id, rest),
    ),
  /** `DELETE /admin/identities/{id}/sessions`. */
  deleteSessions: procedure
    .input(z.object({ id }))
    .mutation(async ({ ctx, input }): Promise<void> => deleteIdentitySessions(ctx.deps, input.id)),
});

/** Checked by the service (unknown values are its 400), typed here. */
const expand = z.custom<SessionExpansion[]>().optional();

const sessions = router({
  /** `GET /admin/sessions`. */
  list: procedure
    .input(z.object({ ...page, active: z.boolean().optional(), expand }).optional())
    .query(({ ctx, input }): Promise<SessionPage> => listSessions(ctx.deps, input ?? {})),
  /** `GET /admin/sessions/{id}?expand=`. */
  get: procedure
    .input(z.object({ id, expand }))
    .query(
      ({ ctx, input }): Promise<AdminSessionJson> =>
        getSession(ctx.deps, input.id, { expand: input.expand ?? [] }),
    ),
  /** `DELETE /admin/sessions/{id}`: revokes the session. */
  disable: procedure
    .input(z.object({ id }))
    .mutation(async ({ ctx, input }): Promise<void> => disableSession(ctx.deps, input.id)),
  /** `PATCH /admin/sessions/{id}/extend`. */
  extend: procedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }): Promise<SessionJson> => extendSession(ctx.deps, input.id)),
});

const courier = router({
  /** `GET /admin/courier/messages`: newest first; `status` is checked by the service (400). */
  messages: procedure
    .input(z.object({ ...page, status: z.string().optional(), recipient: z.string().optional() }).optional())
    .query(({ ctx, input }): Promise<CourierMessagePage> => listCourierMessages(ctx.deps, input ?? {})),
  /** `GET /admin/courier/messages/{id}`, with the delivery attempts. */
  message: procedure
    .input(z.object({ id }))
    .query(({ ctx, input }): Promise<CourierMessageJson> => getCourierMessage(ctx.deps, input.id)),
});

export const adminRouter = router({ identities, sessions, courier });

export type AdminRouter = typeof adminRouter;
