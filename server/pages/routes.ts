import { route } from "../http/router.ts";
import {
  accountIndex,
  dataPage,
  deletionAction,
  historyPageView,
  revokeOthersAction,
  revokeSessionAction,
  sessionsPage,
} from "./account-pages.ts";
import { enhanceScript } from "./enhance.ts";
import { loginPage, registrationPage, settingsPage } from "./flow-pages.ts";
import { errorContainerPage, uiIndex, welcomePage } from "./info-pages.ts";
import { recoveryPage, verificationPage } from "./one-time-pages.ts";
import { stylesheet } from "./style.ts";

/**
 * The third door (after REST and tRPC): the built-in, server-rendered account pages on the public
 * listener, over the same flow services. They are the default `ui_url`s(server/config/resolve.ts).
 * /ui/settings and /ui/account/* form the account centre (README, "Built-in UI").
 */
export const pageRoutes = [
  route("GET", "/ui", uiIndex),
  route("GET", "/ui/welcome", welcomePage),
  route("GET", "/ui/login", loginPage),
  route("GET", "/ui/registration", registrationPage),
  route("GET", "/ui/settings", settingsPage),
  route("GET", "/ui/verification", verificationPage),
  route("GET", "/ui/recovery", recoveryPage),
  route("GET", "/ui/error", errorContainerPage),
  route("GET", "/ui/account", accountIndex),
  route("GET", "/ui/account/sessions", sessionsPage),
  route("POST", "/ui/account/sessions/revoke", revokeSessionAction),
  route("POST", "/ui/account/sessions/revoke-others", revokeOthersAction),
  route("GET", "/ui/account/history", historyPageView),
  route("GET", "/ui/account/data", dataPage),
  route("POST", "/ui/account/deletion", deletionAction),
  route("GET", "/ui/style.css", stylesheet),
  route("GET", "/ui/enhance.js", enhanceScript),
];
