import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { settingsPasswordBody, settingsProfileBody } from "#shared/bodies.ts";
import { renderPayloadSchemas } from "../../schemas/generate/payload-schemas.ts";
import {
  compilePayloadDecoder,
  passwordPayloadSchema,
  profilePayloadSchema,
} from "../../server/decoding/payload.ts";

const committed = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("payload schemas generated from shared/bodies.ts", () => {
  it("schemas/payloads/*.json are what `npm run payload:schemas` generates now", () => {
    const rendered = renderPayloadSchemas();
    assert.equal(rendered.size, 3);
    for (const [path, text] of rendered) {
      assert.equal(committed(path), text, `${path}: run \`npm run payload:schemas\` and commit the result`);
    }
  });

  it("every field a tRPC body accepts is a path the REST decoder keeps", () => {
    const pairs = [
      [settingsProfileBody, profilePayloadSchema({ properties: { traits: { type: "object" } } })],
      [settingsPasswordBody, passwordPayloadSchema()],
    ] as const;
    for (const [body, payload] of pairs) {
      const paths = compilePayloadDecoder(payload).paths.map((p) => p.name);
      assert.deepEqual(
        Object.keys(body.shape).filter((field) => !paths.includes(field)),
        [],
      );
    }
  });
});
