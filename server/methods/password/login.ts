import type { UiText } from "#shared/ui.ts";
import type { FullIdentity } from "../../../db/store.ts";
import { recordEvents } from "../../account/history.ts";
import type { AppDeps } from "../../deps.ts";
import type { FlowIssue } from "../../flows/kit/form.ts";
import type { LoginStrategy } from "../../flows/login/strategy.ts";
import { formsOf } from "../../identity/forms.ts";
import { normalizeIdentifier } from "../../identity/normalize.ts";
import { message } from "../../ui/messages.ts";
import { inputNode } from "../../ui/nodes.ts";
import { upgradePasswordHash } from "./rehash.ts";

/** The login identifier's label: the schema title of the identifier trait, else "ID" (1070004). */
function identifierLabel(deps: AppDeps): UiText {
  const title = formsOf(deps, deps.registry.defaultId).identifierTitle;
  return title ? message(1070002, [title], { title }) : message(1070004);
}

function firstPasswordIdentifier(identity: FullIdentity): string | undefined {
  return identity.credentials.find((c) => c.type === "password")?.identifiers[0];
}

const required = (property: string): FlowIssue => ({
  path: property,
  message: message(4000002, [property], { property }),
});

/** Signing in with an identifier and a password (contract §16.1). */
export const passwordLogin: LoginStrategy = {
  method: "password",
  handles: (values) => values.get("method")?.[0] === "password",
  nodes(deps, refreshing) {
    const refreshIdentifier = refreshing ? firstPasswordIdentifier(refreshing) : undefined;
    if (refreshing && refreshIdentifier === undefined) return [];
    const identifier =
      refreshIdentifier !== undefined
        ? inputNode("default", "identifier", "hidden", { value: refreshIdentifier, required: true })
        : inputNode("default", "identifier", "text", {
            value: "",
            required: true,
            autocomplete: "username",
            label: identifierLabel(deps),
          });
    return [
      identifier,
      inputNode("password", "password", "password", {
        required: true,
        autocomplete: "current-password",
        label: message(1070001),
      }),
      inputNode("password", "method", "submit", {
        value: "password",
        label: refreshIdentifier !== undefined ? message(1010001) : message(1010022),
      }),
    ];
  },
  prepare({ deps, ctx }, values) {
    const identifierRaw = values.get("identifier")?.[0] ?? values.get("password_identifier")?.[0] ?? "";
    const password = values.get("password")?.[0] ?? "";
    const echo = { identifier: identifierRaw };
    const missing: FlowIssue[] = [];
    if (!identifierRaw) missing.push(required("identifier"));
    if (!password) missing.push(required("password"));
    if (missing.length > 0) return { echo, step: { kind: "issues", issues: missing } };
    return {
      echo,
      step: {
        kind: "ready",
        async authenticate() {
          // A refresh flow pre-fills the session's identifier, but what counts is what was submitted.
          const identity = await deps.store.findIdentityByCredentialIdentifier(
            "password",
            normalizeIdentifier(identifierRaw),
          );
          const hash = identity?.credentials.find((c) => c.type === "password")?.config.hashed_password;
          // Unknown identifiers cost a hash too, so timing does not tell which accounts exist.
          const ok =
            typeof hash === "string"
              ? await deps.hasher.verify(password, hash)
              : await deps.hasher.dummyVerify(password);
          if (identity && !ok)
            await recordEvents(deps, ctx, identity.id, "login_failed", {
              method: "password",
              outcome: "failure",
            });
          if (!identity || !ok) return { kind: "issues", issues: [{ path: "", message: message(4000006) }] };
          return {
            kind: "authenticated",
            identity: await upgradePasswordHash(deps, identity, password, hash as string),
          };
        },
      },
    };
  },
};
