import { z } from "zod";

/** The inner error object of Kratos's generic error envelope (contract §1.1). */
export const genericError = z.object({
  id: z.string().optional(),
  code: z.number().int().optional(),
  status: z.string().optional(),
  request: z.string().optional(),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  message: z.string(),
});
export type GenericError = z.infer<typeof genericError>;

/** `{ error: {...}, ...siblings }`: siblings such as redirect_browser_to or use_flow_id. */
export const errorEnvelope = z
  .object({
    error: genericError,
    redirect_browser_to: z.string().optional(),
    use_flow_id: z.string().optional(),
    expired_at: z.string().optional(),
    since: z.number().optional(),
  })
  .loose();
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;
