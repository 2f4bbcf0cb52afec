import type { UiNode, UiText } from "#shared/ui.ts";
import type { FlowRecord, FullIdentity } from "../../../db/store.ts";
import { appCipher } from "../../crypto/cipher.ts";
import type { AppDeps } from "../../deps.ts";
import type { Caller, FlowOutcome } from "../../flows/kit/outcome.ts";
import { setUi, uiOf } from "../../flows/kit/record.ts";
import { createLoginFlow, loginFlowJson } from "../../flows/login/service.ts";
import { commitIdentityChange } from "../../identity/commit.ts";
import { newIdentity, passwordIdentifiers } from "../../identity/manager.ts";
import type { RequestContext } from "../../request/context.ts";
import { appendQuery } from "../../request/url.ts";
import { message as catalogMessage } from "../../ui/messages.ts";
import { isLinked, withLinkedProvider } from "./credential.ts";
import { evaluateMapper, loadMapper } from "./mapper.ts";
import type { ProviderClaims, ProviderConfig } from "./provider.ts";
import { providerLabel } from "./provider.ts";

/**
 * Kratos's account linking: a sign-up through a provider whose mapped email already signs in an
 * existing account becomes a login flow with message 1010016. The provider's subject and tokens wait
 * in that flow's internal context; when the person signs in there (with the existing method), the
 * provider is linked to the account (`onLogin`).
 */
const KEY = "oidc_link";

interface PendingLink {
  identity_id: string;
  provider: string;
  subject: string;
  id_token: string;
  access_token: string;
  refresh_token: string;
}

/** The existing identity the mapped traits collide with, if any (mapper problems: none). */
export async function duplicateOf(
  deps: AppDeps,
  provider: ProviderConfig,
  claims: ProviderClaims,
): Promise<{ identity: FullIdentity; identifier: string } | undefined> {
  let traits: Record<string, unknown>;
  try {
    traits = (await evaluateMapper(await loadMapper(provider.mapper_url), claims.claims)).traits;
  } catch {
    return undefined; // The registration shows the mapper's problem.
  }
  const built = newIdentity(deps, { schemaId: deps.registry.defaultId, traits });
  if (!built.ok) return undefined;
  for (const identifier of passwordIdentifiers(deps, built.identity)) {
    const identity = await deps.store.findIdentityByCredentialIdentifier("password", identifier);
    if (identity) return { identity, identifier };
  }
  return undefined;
}

/**
 * Kratos's message 1010016. Its lists of the account's sign-in options stay empty: Kratos fills them
 * only with `selfservice.flows.registration.login_hints`, which Tessera does not offer.
 */
function linkMessage(deps: AppDeps, identifier: string, provider: string): UiText {
  const newLoginUrl = deps.config.ui.login;
  return {
    id: 1010016,
    type: "info",
    text: `You tried to sign in with "${identifier}", but that email is already used by another account. Sign in to your account with one of the options below to add your account "${identifier}" at "${provider}" as another way to sign in.`,
    context: {
      duplicateIdentifier: identifier,
      provider,
      newLoginUrl,
      duplicate_identifier: identifier,
      new_login_url: newLoginUrl,
      available_credential_types: [],
      available_providers: [],
    },
  };
}

/**
 * Kratos's populateAccountLinkingUI: the provider the person came with is no button of this login,
 * the buttons say that signing in links it ("Sign in and link", "Confirm with …"), and the
 * identifier is the colliding one, hidden: the person only proves they own that account.
 */
export function linkingNodes(nodes: UiNode[], usedProviderId: string, identifier: string): UiNode[] {
  const kept: UiNode[] = [];
  for (const node of nodes) {
    const label = node.meta.label;
    if (node.attributes.node_type === "input" && node.attributes.name === "identifier") {
      node.attributes = { ...node.attributes, type: "hidden", value: identifier };
    }
    if (!label || node.group === "default") {
      kept.push(node);
      continue;
    }
    if (node.group === "oidc" && label.context?.provider_id === usedProviderId) continue;
    if (label.id === 1010001) node.meta = { ...node.meta, label: catalogMessage(1010017) };
    else if (label.id === 1010002) {
      const provider = String(label.context?.provider ?? "");
      node.meta = { ...node.meta, label: catalogMessage(1010018, [provider], { provider }) };
    }
    kept.push(node);
  }
  return kept;
}

/**
 * Starts the linking login flow, of the type of the flow the sign-up came through (Kratos's
 * registrationToLogin): a browser is sent to it (303); JSON callers, native apps among them, get
 * it as a 400 (Kratos's SendFlowErrorAsRedirectOrJSON).
 */
export async function startAccountLinking(
  deps: AppDeps,
  ctx: RequestContext,
  from: { type: "browser" | "api"; returnTo: string | null },
  caller: Caller,
  provider: ProviderConfig,
  claims: ProviderClaims,
  duplicate: { identity: FullIdentity; identifier: string },
): Promise<FlowOutcome> {
  const created = await createLoginFlow(
    deps,
    ctx,
    { type: from.type, refresh: false, aal: null, returnTo: from.returnTo },
    caller,
  );
  if (created.kind !== "form") return created;
  const ui = uiOf(created.flow);
  setUi(created.flow, {
    ...ui,
    nodes: linkingNodes(ui.nodes, provider.id, duplicate.identifier),
    messages: [linkMessage(deps, duplicate.identifier, providerLabel(provider))],
  });
  const cipher = appCipher(deps);
  const pending: PendingLink = {
    identity_id: duplicate.identity.id,
    provider: provider.id,
    subject: claims.subject,
    id_token: cipher.encrypt(claims.tokens.idToken),
    access_token: cipher.encrypt(claims.tokens.accessToken),
    refresh_token: cipher.encrypt(claims.tokens.refreshToken),
  };
  created.flow.internalContext = { ...created.flow.internalContext, [KEY]: pending };
  await deps.store.updateFlow(created.flow);
  const body = loginFlowJson(created.flow);
  if (caller.json || caller.flowType === "api") return { ...created, body, status: 400 };
  // Kratos adds no_org_ui: the linking login is not the place to pick an organisation.
  return {
    kind: "redirect",
    to: appendQuery(deps.config.ui.login, { flow: created.flow.id, no_org_ui: "true" }),
  };
}

/** After the person signed in to the existing account, the provider is linked to it. */
export async function linkAfterLogin(
  deps: AppDeps,
  flow: FlowRecord,
  identity: FullIdentity,
): Promise<FullIdentity> {
  const pending = flow.internalContext[KEY] as PendingLink | undefined;
  if (!pending || pending.identity_id !== identity.id || isLinked(identity, pending.provider))
    return identity;
  const cipher = appCipher(deps);
  const claims: ProviderClaims = {
    subject: pending.subject,
    claims: {},
    tokens: {
      idToken: cipher.decrypt(pending.id_token),
      accessToken: cipher.decrypt(pending.access_token),
      refreshToken: cipher.decrypt(pending.refresh_token),
    },
  };
  const result = await commitIdentityChange(deps, {
    decidedOn: identity,
    dependsOn: [],
    apply: (current) => ({ ok: true, identity: withLinkedProvider(deps, current, pending.provider, claims) }),
  });
  return result.kind === "committed" ? result.identity : identity;
}
