/**
 * Token sessions (Node, React Native): api flows, the token from the login result, typed errors and
 * a partial profile change. Type-checked only; the browser test runs the cookie side.
 */
import {
  createTesseraClient,
  isTesseraError,
  type KratosErrorId,
  type SettingsResult,
  TesseraError,
} from "@tessera/client";
import type { DefaultTraits } from "./generated/traits.js";

let token: string | undefined;
const native = createTesseraClient<DefaultTraits>({
  url: "https://auth.example.com/",
  session: { token: () => token },
});

export async function signInAndRename(email: string, password: string): Promise<string> {
  const login = await native.login.create();
  const signedIn = await native.login.submit(login, { identifier: email, password });
  if (signedIn.status === "form") return signedIn.messages.global.map((m) => m.text).join("\n");
  token = signedIn.sessionToken;
  const first: string | undefined = signedIn.session.identity.traits.name?.first;

  const flow = await native.settings.create();
  const result: SettingsResult<DefaultTraits> = await native.settings.updateProfile(flow, {
    name: { last: "Lovelace" },
  });
  switch (result.status) {
    case "form":
      return JSON.stringify(result.messages.byField["traits.name.last"] ?? []);
    case "success":
    case "verificationRequired":
      return `${first ?? ""} ${result.flow.identity.traits.name?.last ?? ""}`;
    case "refreshRequired":
      return result.redirectTo;
  }
}

export function describe(err: unknown): string {
  if (isTesseraError(err, "self_service_flow_expired"))
    return `expired, use ${err.useFlowId ?? "a new flow"}`;
  if (isTesseraError(err, "session_refresh_required")) return err.redirectTo.toUpperCase();
  const id: KratosErrorId | undefined = err instanceof TesseraError ? (err.id as KratosErrorId) : undefined;
  return id ?? "network";
}
