import assert from "node:assert/strict";
import { CookieJar } from "../helpers/http.ts";
import type { TestServer } from "../helpers/server.ts";
import { type Form, forms, links, submission } from "./html.ts";

export const PASSWORD = "Tessera-correct-horse-7421";
export const NEW_PASSWORD = "Another-battery-staple-9153";

export { serverFor as server } from "../helpers/server.ts";

export interface Loaded {
  url: string;
  status: number;
  headers: Headers;
  html: string;
  /** Every URL visited, the request's own first. */
  chain: { url: string; status: number }[];
}

/** A browser without JavaScript: cookies, redirects (303 → GET), forms posted as urlencoded. */
export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly s: TestServer) {}

  url(path: string): string {
    return new URL(path.replace(/^\//, ""), this.s.publicUrl).toString();
  }

  async get(path: string): Promise<Loaded> {
    return this.follow(path.startsWith("http") ? path : this.url(path), { method: "GET" });
  }

  async post(target: string, body: URLSearchParams): Promise<Loaded> {
    return this.follow(target, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
  }

  /** Submits a form as a browser would when `button` is clicked. */
  async submit(
    page: Loaded,
    form: Form,
    set: Record<string, string>,
    button: { name: string; value: string },
  ): Promise<Loaded> {
    assert.equal(form.method, "POST");
    return this.post(new URL(form.action, page.url).toString(), submission(form, set, button));
  }

  /** Follows the link whose text is `text`. */
  async click(page: Loaded, text: string): Promise<Loaded> {
    const a = links(page.html).find((l) => l.text === text);
    assert.ok(a, `no link "${text}" on ${page.url}`);
    return this.get(new URL(a.attrs.href!, page.url).toString());
  }

  private async follow(url: string, init: RequestInit): Promise<Loaded> {
    const chain: { url: string; status: number }[] = [];
    let current = url;
    let req = init;
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.jar.fetch(current, req);
      chain.push({ url: current, status: res.status });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        req = { method: "GET" };
        continue;
      }
      return { url: current, status: res.status, headers: res.headers, html: await res.text(), chain };
    }
    assert.fail(`too many redirects: ${chain.map((c) => `${c.status} ${c.url}`).join(" -> ")}`);
  }
}

export function path(url: string): string {
  return new URL(url).pathname;
}

/** The only form on a page. */
export function onlyForm(html: string): Form {
  const all = forms(html);
  assert.equal(all.length, 1, `expected one form, found ${all.length}`);
  return all[0]!;
}

/** Signs a new person up through /ui/registration; the browser ends on the welcome page. */
export async function signUp(
  b: Browser,
  traits: Record<string, string> = { "traits.email": "ada@example.com" },
  password = PASSWORD,
): Promise<Loaded> {
  const page = await b.get("/ui/registration");
  assert.equal(path(page.url), "/ui/registration");
  const done = await b.submit(
    page,
    onlyForm(page.html),
    { ...traits, password },
    { name: "method", value: "password" },
  );
  assert.equal(path(done.url), "/ui/welcome", `ended on ${done.url}: ${done.html.slice(0, 2000)}`);
  return done;
}
