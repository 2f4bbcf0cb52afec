import { router } from "./init.ts";

/**
 * SETTINGS SUB-ROUTER — reserved for the settings flow (server/flows/settings/service.ts, being
 * written): `create({type, returnTo?})`, `get({id})`, `submit({flow, body})` with `body` a union
 * keyed by `method` (`profile`: traits + csrf_token?; `password`: password + csrf_token?).
 */
export const settingsRouter = router({});
