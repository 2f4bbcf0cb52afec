import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pathOf } from "../../server/request/context.ts";

test("the router's path is new URL(href).pathname for any serialised URL", () => {
  const piece = fc.string({
    unit: fc.constantFrom(..."abcAZ09-._~%/?#=&;:@!$'()*+, \\\"<>^`{|}é😀".split("")),
  });
  fc.assert(
    fc.property(
      fc.constantFrom("http", "https"),
      fc.constantFrom("h", "127.0.0.1:4433", "[::1]:80"),
      piece,
      (scheme, host, rest) => {
        let href: string;
        try {
          href = new Request(`${scheme}://${host}/${rest}`).url;
        } catch {
          return;
        }
        assert.equal(pathOf(href), new URL(href).pathname, href);
      },
    ),
    { numRuns: 2000 },
  );
  for (const href of ["http://h/", "http://h/a?b#c", "http://h/a#b?c", "http://h/sessions/whoami"]) {
    assert.equal(pathOf(href), new URL(href).pathname, href);
  }
});
