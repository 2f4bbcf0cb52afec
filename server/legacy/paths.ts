/** The routes of the v0.1 and v0.2 APIs (seeds 001 and 000; Kratos v0.1.1 and v0.2.0). */
export const LEGACY = {
  profileInit: "/self-service/browser/flows/profile",
  profileRequest: "/self-service/browser/flows/requests/profile",
  profileUpdate: "/self-service/browser/flows/profile/update",
  settingsInit: "/self-service/browser/flows/settings",
  settingsRequest: "/self-service/browser/flows/requests/settings",
  settingsStrategy: "/self-service/browser/flows/settings/strategies/:method",
  login: "/self-service/browser/flows/login",
  registration: "/self-service/browser/flows/registration",
} as const;

/** Absolute URLs on the public listener, carrying `?request=<id>` as the old APIs did. */
export function legacyPaths(publicBase: string) {
  const at = (path: string, id: string) => {
    const u = new URL(path.replace(/^\//, ""), publicBase);
    u.searchParams.set("request", id);
    return u.toString();
  };
  return {
    profileUpdate: (id: string) => at(LEGACY.profileUpdate, id),
    strategy: (method: string, id: string) =>
      at(LEGACY.settingsStrategy.replace(":method", encodeURIComponent(method)), id),
  };
}
