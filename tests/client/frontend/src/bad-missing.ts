// Expected: error TS2741, property "email" (required by the identity schema) is missing from the traits.
import { createTesseraClient } from "@tessera/client";
import type { DefaultTraits } from "./generated/traits.js";

const tessera = createTesseraClient<DefaultTraits>({ url: "https://auth.example.com/", session: "cookie" });
const flow = await tessera.registration.create();
export const result = await tessera.registration.submit(flow, {
  traits: { name: { first: "Ann" } },
  password: "a-long-password",
});
