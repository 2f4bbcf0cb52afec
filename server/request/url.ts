/** Adds query parameters to a URL that may be relative (Kratos merges them into configured UI URLs). */
export function appendQuery(target: string, params: Record<string, string>): string {
  const absolute = URL.canParse(target);
  const u = new URL(target, "http://relative.invalid");
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return absolute ? u.toString() : `${u.pathname}${u.search}${u.hash}`;
}
