/**
 * Real-browser test support: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), screenshots under test-output/screenshots/, and the single-page example's stack.
 *
 * When Chromium cannot be launched the tests FAIL under CI (`process.env.CI`) and are skipped with
 * the reason otherwise (a developer machine without the `chromium` package).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { buildSpa } from "../../examples/spa/build.ts";
import { spaHandler } from "../../examples/spa/static.ts";
import { type ExampleTessera, startExampleTessera } from "../../examples/spa/tessera.ts";
import { ManualClock } from "../../server/clock.ts";
import { listen } from "../../server/listen.ts";
import { silentLogger } from "../../server/logger.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** The flags known to work here (no sandbox as root, no background traffic to the closed network). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Upper bound for any single wait or action; no test sleeps for a fixed time. */
export const STEP_TIMEOUT = 15_000;
/** Upper bound for one whole browser test. */
export const TEST_TIMEOUT = 180_000;

export const PASSWORD = "Tessera-correct-horse-7421";
export const NEW_PASSWORD = "Another-battery-staple-9153";
export const HOUR = 60 * 60 * 1000;

interface SkippableTest {
  skip(message?: string): void;
  after(fn: () => Promise<void> | void): void;
  name: string;
}

/**
 * Launches headless Chromium for one test and closes it when the test ends. Playwright gives every
 * launch a fresh, empty profile (user data dir) of its own. Returns undefined after skipping the
 * test when Chromium is unavailable outside CI.
 */
export async function launchBrowser(t: SkippableTest): Promise<Browser | undefined> {
  let problem: string;
  if (!existsSync(CHROMIUM)) {
    problem = `${CHROMIUM} not found (apt-get install -y chromium)`;
  } else {
    try {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 60_000,
      });
      t.after(() => browser.close());
      return browser;
    } catch (err) {
      problem = `Chromium at ${CHROMIUM} could not be launched: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
    }
  }
  if (process.env.CI) throw new Error(`browser tests need Chromium in CI: ${problem}`);
  t.skip(`Chromium unavailable: ${problem}`);
  return undefined;
}

/**
 * A page with bounded waits that collects the page's uncaught errors (assert `errors` is empty at
 * the end to know the app never threw).
 */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  return { page, errors };
}

const SCREENSHOTS = fileURLToPath(new URL("../../test-output/screenshots/", import.meta.url));

/** Numbered full-page screenshots of each step in `test-output/screenshots/<suite>/`. */
export class Screenshots {
  readonly dir: string;
  #n = 0;
  constructor(suite: string) {
    this.dir = join(SCREENSHOTS, suite);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  async take(page: Page, step: string): Promise<void> {
    this.#n += 1;
    const name = `${String(this.#n).padStart(2, "0")}-${step.replace(/[^a-z0-9]+/gi, "-")}.png`;
    await page.screenshot({ path: join(this.dir, name), fullPage: true });
  }
}

/**
 * Runs the steps of a browser test; when one fails, a `failure` screenshot of the page as it was is
 * written next to the others, then the error is rethrown.
 */
export async function steps(page: Page, shots: Screenshots, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    await shots.take(page, "failure").catch(() => {});
    throw err;
  }
}

/**
 * Polls `probe` until `ok` accepts its value or `timeout` passes (then fails with the last value).
 * Bounded and event-free waits for things Playwright has no wait for; never a fixed sleep.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeout = STEP_TIMEOUT,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError && last === undefined ? String(lastError) : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How long one probe of `eventually` may wait for its element before trying again. */
const PROBE = 1_000;

/** Waits for what a person would see: bounded, with readable failures. */
export const see = {
  visible: (loc: Locator) => loc.first().waitFor({ state: "visible" }),
  url: (page: Page, pattern: RegExp) => page.waitForURL(pattern, { waitUntil: "load" }),
  value: (loc: Locator, value: string) =>
    eventually(
      `${loc} to have the value ${JSON.stringify(value)}`,
      () => loc.inputValue({ timeout: PROBE }),
      (v) => v === value,
    ),
  attribute: (loc: Locator, name: string, value: string) =>
    eventually(
      `${loc} to have ${name}=${JSON.stringify(value)}`,
      () => loc.getAttribute(name, { timeout: PROBE }),
      (v) => v === value,
    ),
  text: (loc: Locator, text: string) =>
    eventually(
      `${loc} to read ${JSON.stringify(text)}`,
      () => loc.textContent({ timeout: PROBE }),
      (v) => v?.trim() === text,
    ),
  count: (loc: Locator, n: number) =>
    eventually(
      `${loc} to match ${n} elements`,
      () => loc.count(),
      (c) => c === n,
    ),
};

/** The text of a field's node messages: the elements its `aria-describedby` names. */
export async function describedBy(field: Locator): Promise<string> {
  const ids = (await field.getAttribute("aria-describedby")) ?? "";
  const page = field.page();
  const texts = await Promise.all(
    ids
      .split(/\s+/)
      .filter(Boolean)
      .map(async (id) => (await page.locator(`[id="${id}"]`).textContent()) ?? ""),
  );
  return texts.join("\n");
}

export interface SpaStack {
  tessera: ExampleTessera;
  clock: ManualClock;
  spaUrl: string;
  publicUrl: string;
}

/** Cheap hashing for tests; production defaults are expensive on purpose. */
const FAST_HASHERS = {
  algorithm: "argon2" as const,
  argon2: { memory: "8MB", iterations: 1, parallelism: 1 },
  bcrypt: { cost: 4 },
};

/** Builds the example once into a temporary directory (removed when the process ends). */
export async function buildSpaOnce(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-spa-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return buildSpa(dir);
}

/**
 * The example's stack on free ports, as `npm run example:spa` wires it: Tessera (configured by
 * examples/spa/tessera.ts, fresh SQLite file, manual clock) plus the app on a second listener.
 */
export async function startSpaStack(
  t: { after(fn: () => Promise<void> | void): void },
  dist: string,
): Promise<SpaStack> {
  const [spa, pub, adm] = await Promise.all([
    listen("127.0.0.1", 0),
    listen("127.0.0.1", 0),
    listen("127.0.0.1", 0),
  ]);
  const dir = mkdtempSync(join(tmpdir(), "tessera-spa-db-"));
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  const tessera = await startExampleTessera({
    public: pub,
    admin: adm,
    spaUrl: spa.url,
    dsn: `sqlite://${join(dir, "db.sqlite")}`,
    hashers: FAST_HASHERS,
    clock,
    logger: silentLogger,
  });
  spa.bind(spaHandler({ dir: dist, tesseraPublicUrl: tessera.publicUrl }));
  t.after(async () => {
    await Promise.all([spa.close(), tessera.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { tessera, clock, spaUrl: spa.url, publicUrl: tessera.publicUrl };
}
