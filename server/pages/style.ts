import type { Config } from "../config/schema.ts";
import type { RequestContext } from "../request/context.ts";

/** The built-in UI's stylesheet: a centred card, readable type, visible focus, accessible colours. */
export const STYLESHEET = `:root {
  color-scheme: light;
  --bg: #f4f5f7;
  --card: #ffffff;
  --text: #1b1f24;
  --muted: #4a5260;
  --border: #c9ced6;
  --accent: #3b3fd8;
  --accent-hover: #2e31b3;
  --accent-text: #ffffff;
  --focus: #ffbf47;
  --error: #b3261e;
  --error-bg: #fdecea;
  --success: #1e6b34;
  --success-bg: #e7f4ea;
  --info: #1f4f8f;
  --info-bg: #e8f0fb;
  --radius: 10px;
  --input-bg: #ffffff;
  --input-border: #8a93a3;
  --shadow: 0 1px 3px rgba(16, 24, 40, 0.08), 0 8px 24px rgba(16, 24, 40, 0.06);
}
@media (prefers-color-scheme: dark) {
  :root {
    color-scheme: dark;
    --bg: #111318;
    --card: #1b1e25;
    --text: #e8eaef;
    --muted: #a9b0bd;
    --border: #363b46;
    --accent: #9ea2ff;
    --accent-hover: #c1c3ff;
    --accent-text: #0f1016;
    --focus: #ffbf47;
    --error: #ffb4ab;
    --error-bg: #3b1714;
    --success: #8fd6a2;
    --success-bg: #12301c;
    --info: #a8c8ff;
    --info-bg: #14243d;
    --input-bg: #111318;
    --input-border: #6b7384;
    --shadow: 0 1px 3px rgba(0, 0, 0, 0.4);
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { font-size: 100%; -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  min-height: 100vh;
  background: var(--bg);
  color: var(--text);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 1rem;
  line-height: 1.5;
  display: flex;
  flex-direction: column;
  align-items: center;
  padding: 1.5rem 1rem 3rem;
}
.site-header { width: 100%; max-width: 28rem; margin-bottom: 1rem; }
.brand { display: inline-flex; align-items: center; gap: 0.6rem; font-weight: 700; font-size: 1.25rem; color: var(--text); text-decoration: none; letter-spacing: 0.02em; }
.card {
  width: 100%;
  max-width: 28rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 2rem 1.75rem;
}
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 1.25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.75rem; }
p { margin: 0 0 1rem; }
a { color: var(--accent); text-underline-offset: 0.15em; }
a:hover { color: var(--accent-hover); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--text); }
.flow-form { margin: 0 0 1.5rem; }
.card > :last-child { margin-bottom: 0; }
.flow-form + .flow-form { border-top: 1px solid var(--border); padding-top: 1.5rem; }
fieldset { border: 0; padding: 0; margin: 0 0 0.5rem; min-width: 0; }
legend { font-size: 1.15rem; font-weight: 650; padding: 0; margin-bottom: 0.75rem; }
.field { margin-bottom: 1rem; }
label, .label { display: block; font-weight: 600; margin-bottom: 0.35rem; }
.optional { font-weight: 400; color: var(--muted); }
input:not([type="checkbox"]):not([type="radio"]), select {
  display: block;
  width: 100%;
  font: inherit;
  color: var(--text);
  background: var(--input-bg);
  border: 1px solid var(--input-border);
  border-radius: 6px;
  padding: 0.6rem 0.75rem;
  min-height: 2.75rem;
}
input:focus-visible, select:focus-visible { border-color: var(--text); }
.field--checkbox { display: flex; align-items: center; gap: 0.5rem; }
.field--checkbox label { margin: 0; }
input[type="checkbox"] { width: 1.25rem; height: 1.25rem; accent-color: var(--accent); }
.field--invalid input, .field--invalid select, [aria-invalid="true"] { border-color: var(--error); border-width: 2px; }
.button, button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  width: 100%;
  min-height: 2.75rem;
  font: inherit;
  font-weight: 600;
  border: 1px solid var(--accent);
  border-radius: 6px;
  padding: 0.6rem 1rem;
  background: var(--accent);
  color: var(--accent-text);
  cursor: pointer;
  text-decoration: none;
}
.button:hover, button:hover { background: var(--accent-hover); border-color: var(--accent-hover); color: var(--accent-text); }
.button--secondary { background: transparent; color: var(--accent); }
.button--secondary:hover { background: var(--info-bg); color: var(--accent-hover); }
button:disabled { opacity: 0.6; cursor: not-allowed; }
.message { margin: 0.35rem 0 0; font-size: 0.95rem; }
.message--error { color: var(--error); font-weight: 600; }
.message--success { color: var(--success); }
.message--info { color: var(--info); }
.messages { border-radius: 6px; padding: 0.75rem 1rem; margin-bottom: 1.25rem; border-left: 4px solid; }
.messages .message { margin: 0; color: inherit; }
.messages .message + .message { margin-top: 0.35rem; }
.messages--error { background: var(--error-bg); color: var(--error); border-color: var(--error); }
.messages--success { background: var(--success-bg); color: var(--success); border-color: var(--success); }
.messages--info { background: var(--info-bg); color: var(--info); border-color: var(--info); }
.field-messages { margin-bottom: 1rem; }
.codes { columns: 2; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; padding-left: 1.25rem; }
figure { margin: 0 0 1rem; }
figure img { max-width: 100%; height: auto; }
.alt { text-align: center; color: var(--muted); margin: 1.25rem 0 0; }
.actions { display: grid; gap: 0.75rem; margin-top: 1.25rem; }
.who { font-size: 1.05rem; }
.who strong { word-break: break-all; }
.details { color: var(--muted); font-size: 0.9rem; }
.details code { word-break: break-all; }
.page-nav { width: 100%; max-width: 28rem; display: flex; flex-wrap: wrap; gap: 1rem; justify-content: center; margin-top: 1.25rem; }
.brand-logo { height: 2rem; width: auto; }
.skip-link { position: absolute; left: -999px; top: 0.5rem; background: var(--card); padding: 0.5rem 1rem; border-radius: 6px; }
.skip-link:focus { left: 0.5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
body.account-layout { display: grid; grid-template-columns: minmax(0, 14rem) minmax(0, 44rem); justify-content: center; align-content: start; align-items: start; column-gap: 1.5rem; }
body.account-layout > .site-header { grid-column: 1 / -1; max-width: none; }
body.account-layout > .page-nav { grid-column: 2; max-width: none; }
.phrase { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-weight: 600; background: var(--info-bg); padding: 0 0.3rem; border-radius: 4px; }
.sections { position: sticky; top: 1rem; }
.card--wide { max-width: none; }
.sections ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
.sections a { display: block; padding: 0.55rem 0.85rem; border-radius: 6px; color: var(--text); text-decoration: none; font-weight: 500; }
.sections a:hover { background: var(--card); color: var(--accent); }
.sections a[aria-current="page"] { background: var(--card); color: var(--accent); font-weight: 650; box-shadow: inset 3px 0 0 var(--accent); }
.section { border-top: 1px solid var(--border); padding-top: 1.5rem; margin-top: 1.5rem; }
.section:first-of-type { border-top: 0; padding-top: 0; margin-top: 0; }
.section h2 { margin-top: 0; }
.list { list-style: none; padding: 0; margin: 0 0 1rem; }
.list > li { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.75rem; padding: 0.85rem 0; border-bottom: 1px solid var(--border); }
.list > li:last-child { border-bottom: 0; }
.list .primary { font-weight: 600; display: block; }
.list .secondary { color: var(--muted); font-size: 0.92rem; display: block; }
.badge { display: inline-block; font-size: 0.8rem; font-weight: 650; padding: 0.1rem 0.55rem; border-radius: 999px; border: 1px solid currentColor; margin-left: 0.4rem; }
.badge--ok { color: var(--success); }
.badge--warn { color: var(--error); }
.badge--info { color: var(--info); }
.list form { margin: 0; }
.list .button, .inline-button { width: auto; }
.button--danger { background: var(--error); border-color: var(--error); color: var(--card); }
.button--danger:hover { background: var(--error); border-color: var(--text); color: var(--card); }
.history time { white-space: nowrap; }
.live-status:empty { display: none; }
@media (max-width: 48rem) {
  body.account-layout { grid-template-columns: minmax(0, 1fr); row-gap: 1rem; }
  body.account-layout > .page-nav { grid-column: 1; }
  .sections { position: static; }
  .sections ul { display: flex; flex-wrap: wrap; gap: 0.35rem; }
  .sections a { padding: 0.4rem 0.7rem; border: 1px solid var(--border); }
}
@media (max-width: 30rem) {
  body { padding: 0.75rem 0.5rem 2rem; }
  .card { padding: 1.5rem 1rem; border-radius: 8px; }
  h1 { font-size: 1.4rem; }
}
@media (prefers-reduced-motion: no-preference) {
  .button, button, input, select { transition: background-color 0.15s, border-color 0.15s; }
}
`;

type Colors = Config["ui"]["branding"]["colors"];

/**
 * The configured brand colours as custom properties after the defaults. The schema admits only
 * hex colours, and they are checked again here, so nothing from config can add other CSS.
 */
export function brandingCss(colors: Colors): string {
  const hex = (v: string | undefined) => (v && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(v) ? v : undefined);
  const vars = (primary: string | undefined, text: string | undefined) =>
    [
      primary ? `--accent: ${primary}; --accent-hover: ${primary};` : "",
      text ? `--accent-text: ${text};` : "",
    ].join(" ");
  let out = "";
  const light = vars(hex(colors.primary), hex(colors.primary_text));
  if (light.trim()) out += `:root { ${light.trim()} }\n`;
  const dark = vars(hex(colors.primary_dark), hex(colors.primary_text_dark));
  if (dark.trim()) out += `@media (prefers-color-scheme: dark) { :root { ${dark.trim()} } }\n`;
  return out;
}

/** `GET /ui/style.css`: the stylesheet with the brand colours, cacheable for an hour. */
export function stylesheet(ctx: RequestContext): Response {
  const css = STYLESHEET + brandingCss(ctx.deps.config.raw.ui.branding.colors);
  return new Response(ctx.req.method === "HEAD" ? null : css, {
    status: 200,
    headers: {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
    },
  });
}
