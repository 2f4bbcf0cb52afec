import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UiNode } from "#shared/ui.ts";
import { message } from "../../server/ui/messages.ts";
import { csrfNode, inputNode } from "../../server/ui/nodes.ts";
import { sortNodes } from "../../server/ui/sort.ts";

const KEYS = ["traits.email", "traits.name.first", "traits.name.last"];

function ids(nodes: readonly UiNode[]): string[] {
  return nodes.map((n) => {
    const a = n.attributes as { name?: string; id?: string; value?: unknown };
    return a.name !== undefined
      ? `${a.name}${a.value !== undefined ? `=${String(a.value)}` : ""}`
      : `#${a.id}`;
  });
}

function submit(group: UiNode["group"], name: string, value: string) {
  return inputNode(group, name, "submit", { value });
}

describe("sortNodes (contract §3.6)", () => {
  it("orders groups default, profile, password, oidc, lookup_secret, webauthn, passkey, totp", () => {
    const nodes = [
      submit("totp", "totp_unlink", "true"),
      submit("passkey", "passkey_remove", "a"),
      submit("webauthn", "webauthn_remove", "b"),
      submit("lookup_secret", "lookup_secret_reveal", "true"),
      submit("oidc", "link", "google"),
      submit("password", "method", "password"),
      submit("profile", "method", "profile"),
      csrfNode("t"),
    ];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), [
      "csrf_token=t",
      "method=profile",
      "method=password",
      "link=google",
      "lookup_secret_reveal=true",
      "webauthn_remove=b",
      "passkey_remove=a",
      "totp_unlink=true",
    ]);
  });

  it("orders trait nodes by schema key position, not by name", () => {
    const nodes = [
      inputNode("profile", "traits.name.last", "text"),
      inputNode("profile", "traits.name.first", "text"),
      inputNode("profile", "traits.email", "email"),
    ];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), ["traits.email", "traits.name.first", "traits.name.last"]);
  });

  it("puts `method` last within its group, after nodes matching no key", () => {
    const nodes = [
      submit("profile", "method", "profile"),
      inputNode("profile", "traits.unknown", "text", { value: "x" }),
      inputNode("profile", "traits.email", "email"),
    ];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), ["traits.email", "traits.unknown=x", "method=profile"]);
  });

  it("breaks ties by value: OIDC link/unlink by provider id, mixed", () => {
    const nodes = [
      submit("oidc", "link", "ory"),
      submit("oidc", "unlink", "google"),
      submit("oidc", "link", "github"),
    ];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), ["link=github", "unlink=google", "link=ory"]);
  });

  it("sorts unknown groups before default, but keeps csrf_token first", () => {
    const custom = { ...inputNode("default", "captcha_token", "hidden"), group: "captcha" as const };
    const custom2 = { ...inputNode("default", "x", "hidden"), group: "saml" as const };
    const nodes = [submit("profile", "method", "profile"), csrfNode("t"), custom, custom2, custom];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), [
      "csrf_token=t",
      "captcha_token",
      "captcha_token",
      "x",
      "method=profile",
    ]);
  });

  it("orders second-factor nodes by the fixed key list", () => {
    const text = (id: string): UiNode => ({
      type: "text",
      group: "totp",
      attributes: { id, text: message(1050006, ["SECRET"], { secret: "SECRET" }), node_type: "text" },
      messages: [],
      meta: {},
    });
    const img: UiNode = {
      type: "img",
      group: "totp",
      attributes: {
        id: "totp_qr",
        src: "data:image/png;base64,AA",
        width: 256,
        height: 256,
        node_type: "img",
      },
      messages: [],
      meta: {},
    };
    const nodes = [
      submit("totp", "method", "totp"),
      inputNode("totp", "totp_code", "text", { required: true }),
      text("totp_secret_key"),
      img,
      submit("lookup_secret", "lookup_secret_confirm", "true"),
      submit("lookup_secret", "lookup_secret_regenerate", "true"),
      inputNode("webauthn", "webauthn_register_trigger", "button"),
      inputNode("webauthn", "webauthn_register_displayname", "text"),
      submit("webauthn", "webauthn_remove", "abc"),
    ];
    assert.deepEqual(ids(sortNodes(nodes, KEYS)), [
      "lookup_secret_regenerate=true",
      "lookup_secret_confirm=true",
      "webauthn_remove=abc",
      "webauthn_register_displayname",
      "webauthn_register_trigger",
      "#totp_qr",
      "#totp_secret_key",
      "totp_code",
      "method=totp",
    ]);
  });

  it("uses the first key that is a prefix of the name", () => {
    // "traits.a" is a prefix of "traits.ab" too (a Kratos quirk kept for identical order).
    const nodes = [
      inputNode("profile", "traits.ab", "text"),
      inputNode("profile", "traits.a", "text", { value: "z" }),
    ];
    assert.deepEqual(ids(sortNodes(nodes, ["traits.a", "traits.ab"])), ["traits.ab", "traits.a=z"]);
  });

  it("is stable and leaves the input array alone", () => {
    const a = inputNode("profile", "traits.x", "text", { value: "same" });
    const b = inputNode("profile", "traits.y", "text", { value: "same" });
    const input = [b, a];
    const sorted = sortNodes(input, KEYS);
    assert.equal(sorted[0], b);
    assert.equal(sorted[1], a);
    assert.deepEqual(input, [b, a]);
    assert.notEqual(sorted, input);
  });

  it('compares values as Go prints them (an absent value is "<nil>", after digits in byte order)', () => {
    const nodes = [
      inputNode("profile", "traits.p", "text", { value: "abc" }),
      inputNode("profile", "traits.q", "text"),
      inputNode("profile", "traits.r", "number", { value: 10 }),
    ];
    assert.deepEqual(ids(sortNodes(nodes, [])), ["traits.r=10", "traits.q", "traits.p=abc"]);
  });
});
