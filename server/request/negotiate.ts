/**
 * Content negotiation exactly as Kratos does it (contract §0.2), ported from gddo's
 * NegotiateContentType: highest q wins, ties go to the less wild match, then to offer order.
 */
interface AcceptSpec {
  value: string;
  q: number;
}

function parseAccept(header: string): AcceptSpec[] {
  const specs: AcceptSpec[] = [];
  for (const part of header.split(",")) {
    const [rawValue, ...params] = part.split(";");
    const value = rawValue?.trim().toLowerCase();
    if (!value) continue;
    let q = 1;
    for (const param of params) {
      const [k, v] = param.split("=").map((s) => s.trim());
      if (k === "q" && v !== undefined) q = Number.parseFloat(v) || 0;
    }
    specs.push({ value, q });
  }
  return specs;
}

export function negotiateContentType(
  accept: string | null,
  offers: readonly string[],
  fallback: string,
): string {
  if (!accept) return fallback;
  const specs = parseAccept(accept);
  let best = fallback;
  let bestQ = -1;
  let bestWild = 3;
  for (const offer of offers) {
    for (const spec of specs) {
      if (spec.q === 0) continue;
      let wild: number;
      if (spec.value === "*/*") wild = 2;
      else if (spec.value.endsWith("/*") && offer.startsWith(spec.value.slice(0, -1))) wild = 1;
      else if (spec.value === offer) wild = 0;
      else continue;
      if (spec.q > bestQ || (spec.q === bestQ && wild < bestWild)) {
        best = offer;
        bestQ = spec.q;
        bestWild = wild;
      }
    }
  }
  return best;
}

const JSON_REQUEST_OFFERS = ["text/html", "text/*", "*/*", "application/json"];
const ACCEPTS_JSON_OFFERS = ["text/html", "application/json"];

/** True when the body is JSON (exact content type) or the client prefers JSON. */
export function isJsonRequest(req: Request): boolean {
  if (req.headers.get("content-type") === "application/json") return true;
  return (
    negotiateContentType(req.headers.get("accept"), JSON_REQUEST_OFFERS, "text/html") === "application/json"
  );
}

/** The "redirect or JSON" helper's predicate. */
export function acceptsJson(req: Request): boolean {
  return (
    negotiateContentType(req.headers.get("accept"), ACCEPTS_JSON_OFFERS, "text/html") === "application/json"
  );
}
