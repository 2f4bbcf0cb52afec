import { z } from "zod";
import { identity } from "./identity.ts";

export const aal = z.enum(["aal0", "aal1", "aal2", "aal3"]);

export const authenticationMethod = z.object({
  method: z.string(),
  aal: aal,
  completed_at: z.string(),
  provider: z.string().optional(),
  organization: z.string().optional(),
});
export type AuthenticationMethod = z.infer<typeof authenticationMethod>;

export const sessionDevice = z.object({
  id: z.string(),
  ip_address: z.string().optional(),
  user_agent: z.string().optional(),
  location: z.string().optional(),
});

/** Session JSON as returned by whoami and login (contract §15.1). */
export const session = z.object({
  id: z.string(),
  active: z.boolean(),
  expires_at: z.string(),
  authenticated_at: z.string(),
  issued_at: z.string(),
  authenticator_assurance_level: aal,
  authentication_methods: z.array(authenticationMethod),
  identity: identity,
  devices: z.array(sessionDevice),
});
export type SessionJson = z.infer<typeof session>;
