import {
  batchCreateIdentities,
  createIdentity,
  DEFAULT_PAGE_SIZE,
  deleteIdentity,
  deleteIdentityCredential,
  getIdentity,
  getIdentityByExternalId,
  type ListIdentitiesInput,
  listIdentities,
  MAX_PAGE_SIZE,
  patchIdentity,
  updateIdentity,
} from "../../identity/admin.ts";
import { readJsonBody } from "../../request/body.ts";
import type { RequestContext } from "../../request/context.ts";
import { errors } from "../../request/errors.ts";
import { deleteIdentitySessions, listIdentitySessions } from "../../session/admin.ts";
import { empty, json } from "../respond.ts";
import { type Route, route } from "../router.ts";

/**
 * Admin identity routes (contract §16.5). The admin listener strips the optional `/admin` prefix
 * before routing, so paths here are bare. Each route turns query and body into a call on the
 * admin identity service and its answer into a response; errors are thrown as HttpError and
 * rendered as Kratos's JSON envelope by the listener.
 */

// ----- query parameters, shared with the admin session routes -----

/** A non-negative integer query parameter; absent or empty is undefined, anything else is a 400. */
export function integerParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw errors.badRequest(`The ${name} parameter must be a positive integer.`);
  return Number(raw);
}

export function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw errors.badRequest(`The ${name} parameter must be true or false.`);
}

/** Parameters that select the page; every other query parameter is carried into Link URLs. */
const PAGING_PARAMS = ["page_size", "page_token", "page", "per_page"];

/**
 * A `Link` header like Kratos's keyset paginator writes: `rel="first"` always, `rel="next"` when
 * another page exists, on the admin base URL. Query keys are sorted as Go's url.Values.Encode does.
 */
export function linkHeader(
  ctx: RequestContext,
  path: string,
  pages: { first: Record<string, string>; next?: Record<string, string> | undefined },
): string {
  const link = (params: Record<string, string>, rel: string) => {
    const url = new URL(path, ctx.deps.config.adminUrl);
    for (const [key, value] of ctx.url.searchParams) {
      if (!PAGING_PARAMS.includes(key)) url.searchParams.append(key, value);
    }
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    url.searchParams.sort();
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links = [link(pages.first, "first")];
  if (pages.next) links.push(link(pages.next, "next"));
  return links.join(", ");
}

// ----- GET /identities -----

interface ListRequest {
  input: ListIdentitiesInput;
  /** Legacy `page`/`per_page` (1-based pages, as Kratos's database paginator counts them). */
  legacyPage?: { page: number; perPage: number };
}

function listRequest(query: URLSearchParams): ListRequest {
  const input: ListIdentitiesInput = {
    ids: query.getAll("ids").filter((id) => id !== ""),
    includeCredential: query.getAll("include_credential").filter((t) => t !== ""),
  };
  const credentialsIdentifier = query.get("credentials_identifier");
  if (credentialsIdentifier) input.credentialsIdentifier = credentialsIdentifier;
  const similar = query.get("preview_credentials_identifier_similar");
  if (similar) input.credentialsIdentifierSimilar = similar;
  const organizationId = query.get("organization_id");
  if (organizationId) input.organizationId = organizationId;

  const pageSize = integerParam(query, "page_size");
  const pageToken = query.get("page_token") ?? undefined;
  const page = integerParam(query, "page");
  const perPage = integerParam(query, "per_page");
  const keyset = pageSize !== undefined || !!pageToken;
  if (!keyset && (page !== undefined || perPage !== undefined)) {
    const size = Math.min(perPage ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const number = Math.max(page ?? 1, 1);
    input.pageSize = size;
    input.offset = (number - 1) * size;
    return { input, legacyPage: { page: number, perPage: size } };
  }
  if (pageSize !== undefined) input.pageSize = pageSize;
  if (pageToken) input.pageToken = pageToken;
  return { input };
}

async function list(ctx: RequestContext): Promise<Response> {
  const { input, legacyPage } = listRequest(ctx.url.searchParams);
  const result = await listIdentities(ctx.deps, input);
  const size = String(Math.min(input.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
  const link = legacyPage
    ? linkHeader(ctx, "admin/identities", {
        first: { page: "1", per_page: String(legacyPage.perPage) },
        next: result.nextPageToken
          ? { page: String(legacyPage.page + 1), per_page: String(legacyPage.perPage) }
          : undefined,
      })
    : linkHeader(ctx, "admin/identities", {
        first: { page_size: size },
        next: result.nextPageToken ? { page_size: size, page_token: result.nextPageToken } : undefined,
      });
  return json(ctx, 200, result.identities, { link });
}

// ----- bodies -----

/** RFC 6902's own media type is accepted for patches besides application/json. */
async function readPatchBody(req: Request): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json-patch+json") return readJsonBody(req);
  const headers = new Headers(req.headers);
  headers.set("content-type", "application/json");
  return readJsonBody(new Request(req, { headers }));
}

// ----- routes -----

export const adminIdentityRoutes: Route[] = [
  route("GET", "/identities", list),
  route("POST", "/identities", async (ctx) => {
    const created = await createIdentity(ctx.deps, await readJsonBody(ctx.req));
    const location = new URL(`admin/identities/${created.id}`, ctx.deps.config.adminUrl).toString();
    return json(ctx, 201, created, { location });
  }),
  route("PATCH", "/identities", async (ctx) =>
    json(ctx, 200, await batchCreateIdentities(ctx.deps, await readJsonBody(ctx.req))),
  ),
  route("GET", "/identities/by/external/:externalID", async (ctx, params) => {
    const includeCredential = ctx.url.searchParams.getAll("include_credential").filter((t) => t !== "");
    return json(ctx, 200, await getIdentityByExternalId(ctx.deps, params.externalID!, { includeCredential }));
  }),
  route("GET", "/identities/:id", async (ctx, params) => {
    const includeCredential = ctx.url.searchParams.getAll("include_credential").filter((t) => t !== "");
    return json(ctx, 200, await getIdentity(ctx.deps, params.id!, { includeCredential }));
  }),
  route("PUT", "/identities/:id", async (ctx, params) =>
    json(ctx, 200, await updateIdentity(ctx.deps, params.id!, await readJsonBody(ctx.req))),
  ),
  route("PATCH", "/identities/:id", async (ctx, params) =>
    json(ctx, 200, await patchIdentity(ctx.deps, params.id!, await readPatchBody(ctx.req))),
  ),
  route("DELETE", "/identities/:id", async (ctx, params) => {
    await deleteIdentity(ctx.deps, params.id!);
    return empty(ctx, 204);
  }),
  route("DELETE", "/identities/:id/credentials/:type", async (ctx, params) => {
    const identifier = ctx.url.searchParams.get("identifier") ?? undefined;
    await deleteIdentityCredential(ctx.deps, params.id!, params.type!, identifier);
    return empty(ctx, 204);
  }),
  route("GET", "/identities/:id/sessions", async (ctx, params) => {
    const query = ctx.url.searchParams;
    const pageSize = integerParam(query, "page_size") ?? integerParam(query, "per_page");
    const pageToken = query.get("page_token") || undefined;
    const active = booleanParam(query, "active");
    const result = await listIdentitySessions(ctx.deps, params.id!, {
      ...(pageSize !== undefined ? { pageSize } : {}),
      ...(pageToken ? { pageToken } : {}),
      ...(active !== undefined ? { active } : {}),
    });
    const size = String(Math.min(pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
    const link = linkHeader(ctx, `admin/identities/${encodeURIComponent(params.id!)}/sessions`, {
      first: { page_size: size },
      next: result.nextPageToken ? { page_size: size, page_token: result.nextPageToken } : undefined,
    });
    return json(ctx, 200, result.sessions, { link });
  }),
  route("DELETE", "/identities/:id/sessions", async (ctx, params) => {
    await deleteIdentitySessions(ctx.deps, params.id!);
    return empty(ctx, 204);
  }),
];
