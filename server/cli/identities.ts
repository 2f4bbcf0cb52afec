import { createWriteStream, readFileSync } from "node:fs";
import { SingleBar } from "cli-progress";
import type { CreateIdentityBody } from "#shared/admin.ts";
import type { FullIdentity, Store } from "../../db/store.ts";
import { createApp } from "../app.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/schema.ts";
import { storedProviders } from "../identity/admin/imports.ts";
import { createIdentity } from "../identity/admin.ts";
import type { Logger } from "../logger.ts";
import { HttpError } from "../request/errors.ts";
import { toRfc3339 } from "../time.ts";
import { onTerminal, withStore } from "./context.ts";

export interface ImportSummary {
  created: number;
  skipped: { line: number; reason: string }[];
  failed: { line: number; reason: string }[];
}

/** Why a line was not imported, in one line (the error's reason when it has one). */
function reasonOf(err: unknown): string {
  if (err instanceof HttpError) return [err.message, err.reason].filter(Boolean).join(": ");
  return err instanceof Error ? err.message : String(err);
}

/**
 * `tessera identities import <file|->`: one identity per line in the shape of Kratos's
 * `POST /admin/identities` body (`createIdentityBody`: traits, schema_id, state, metadata,
 * addresses, `credentials.password.config.hashed_password` or `.password`, OIDC links). Each line
 * goes through the same service as the admin API, so it is validated, hashed and stored exactly as
 * a request would be. A line whose identifier exists already is skipped (409); any other refusal
 * fails that line only. Blank lines are ignored; line numbers count every line of the file.
 */
export async function importIdentities(
  config: Config,
  source: string,
  opts: { clock: Clock; logger: Logger },
): Promise<ImportSummary> {
  const text = readFileSync(source === "-" ? 0 : source, "utf8");
  const lines = text.split(/\r?\n/);
  const work = lines.map((l, i) => ({ line: i + 1, text: l.trim() })).filter((l) => l.text !== "");
  const summary: ImportSummary = { created: 0, skipped: [], failed: [] };
  const bar = onTerminal() ? new SingleBar({ format: "import [{bar}] {value}/{total} lines" }) : undefined;
  bar?.start(work.length, 0);
  await withStore(config, async (store) => {
    const app = await createApp(config, store, { clock: opts.clock, logger: opts.logger });
    for (const { line, text: json } of work) {
      try {
        let body: unknown;
        try {
          body = JSON.parse(json);
        } catch (err) {
          throw new Error(`not JSON: ${(err as Error).message}`);
        }
        await createIdentity(app.deps, body);
        summary.created++;
      } catch (err) {
        const entry = { line, reason: reasonOf(err) };
        if (err instanceof HttpError && err.code === 409) summary.skipped.push(entry);
        else summary.failed.push(entry);
      }
      bar?.increment();
    }
  });
  bar?.stop();
  return summary;
}

/** The import shape of a stored identity: what `importIdentities` turns back into the same identity. */
export function toImportLine(identity: FullIdentity): CreateIdentityBody {
  const password = identity.credentials.find((c) => c.type === "password");
  const hashed = password?.config.hashed_password;
  const oidc = storedProviders(identity.credentials.find((c) => c.type === "oidc"));
  const credentials: NonNullable<CreateIdentityBody["credentials"]> = {};
  if (typeof hashed === "string") credentials.password = { config: { hashed_password: hashed } };
  if (oidc.length > 0)
    credentials.oidc = {
      config: { providers: oidc.map((p) => ({ provider: p.provider, subject: p.subject })) },
    };
  return {
    schema_id: identity.schemaId,
    traits: identity.traits,
    state: identity.state,
    ...(identity.metadataPublic == null ? {} : { metadata_public: identity.metadataPublic }),
    ...(identity.metadataAdmin == null ? {} : { metadata_admin: identity.metadataAdmin }),
    ...(identity.externalId ? { external_id: identity.externalId } : {}),
    verifiable_addresses: identity.verifiableAddresses.map((a) => ({
      value: a.value,
      via: a.via,
      verified: a.verified,
      status: a.status,
      ...(a.verifiedAt ? { verified_at: toRfc3339(a.verifiedAt) } : {}),
    })),
    recovery_addresses: identity.recoveryAddresses.map((a) => ({ value: a.value, via: a.via })),
    ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
  };
}

/**
 * `tessera identities export [file]`: every identity, one JSON line each in the import shape, with
 * password hashes (so an export imports into another Tessera or Kratos with passwords intact).
 * Read in keyset pages, so memory stays flat however many identities there are.
 */
export async function exportIdentities(config: Config, target: string | undefined): Promise<number> {
  const toFile = target !== undefined && target !== "-";
  const stream = toFile ? createWriteStream(target, { mode: 0o600 }) : process.stdout;
  const bar = toFile && onTerminal() ? new SingleBar({ format: "export {value} identities" }) : undefined;
  bar?.start(0, 0);
  let count = 0;
  await withStore(config, async (store: Store) => {
    let pageToken: string | undefined;
    do {
      const page = await store.listIdentities({ pageSize: 500, ...(pageToken ? { pageToken } : {}) });
      for (const identity of page.identities) {
        if (!stream.write(`${JSON.stringify(toImportLine(identity))}\n`)) {
          await new Promise<void>((ok) => stream.once("drain", () => ok()));
        }
        count++;
      }
      bar?.update(count);
      pageToken = page.nextPageToken;
    } while (pageToken);
  });
  bar?.stop();
  if (toFile)
    await new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(err) : ok())));
  return count;
}
