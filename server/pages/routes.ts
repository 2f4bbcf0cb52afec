import { route } from "../http/router.ts";
import { loginPage, registrationPage, settingsPage } from "./flow-pages.ts";
import { errorContainerPage, uiIndex, welcomePage } from "./info-pages.ts";
import { recoveryPage, verificationPage } from "./one-time-pages.ts";
import { stylesheet } from "./style.ts";

/**
 * The third door (after REST and tRPC): the built-in, server-rendered account pages on the public
 * listener, over the same flow services. They are the default `ui_url`s(server/config/resolve.ts).
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
  route("GET", "/ui/style.css", stylesheet),
];
