// Expected: error TS2551 (or TS2339), "frist" does not exist on the name traits.
import { createTesseraClient } from "@tessera/client";
import type { DefaultTraits } from "./generated/traits.js";

const tessera = createTesseraClient<DefaultTraits>({ url: "https://auth.example.com/", session: "cookie" });
const flow = await tessera.settings.create();
export const first = flow.identity.traits.name?.frist;
