// Expected: error TS2551, "updateProfil" does not exist on the settings helpers (did you mean "updateProfile"?).
import { createTesseraClient } from "@tessera/client";
import type { DefaultTraits } from "./generated/traits.js";

const tessera = createTesseraClient<DefaultTraits>({ url: "https://auth.example.com/", session: "cookie" });
const flow = await tessera.settings.create();
export const result = await tessera.settings.updateProfil(flow, { name: { first: "Ann" } });
