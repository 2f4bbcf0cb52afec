/**
 * The client's address as the proxy in front reports it (`X-Forwarded-For`'s first entry, then
 * `X-Real-IP`), as Kratos reads it for session devices.
 */
export function clientAddress(req: Request): string | undefined {
  const forwarded = req.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || req.headers.get("x-real-ip") || undefined;
}
