import { loginPage, registrationPage, settingsPage } from "../../pages/flow-pages.ts";
import { errorContainerPage, uiIndex, welcomePage } from "../../pages/info-pages.ts";
import { stylesheet } from "../../pages/style.ts";
import { route } from "../router.ts";

/** The built-in account UI on the public listener, the default `ui_url`s (server/config/resolve.ts). */
export const uiRoutes = [
  route("GET", "/ui", uiIndex),
  route("GET", "/ui/welcome", welcomePage),
  route("GET", "/ui/login", loginPage),
  route("GET", "/ui/registration", registrationPage),
  route("GET", "/ui/settings", settingsPage),
  route("GET", "/ui/error", errorContainerPage),
  route("GET", "/ui/style.css", stylesheet),
];
