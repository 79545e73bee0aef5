/**
 * Banner CSS, injected as text into the closed shadow root. The host has `all: initial`, so
 * nothing from the console's stylesheets leaks in; each cloud gets a theme that matches its console.
 */
export const BANNER_CSS = `
:host { display: block; }
* { box-sizing: border-box; }
/* The padding leaves room for the cards' shadow, which the scroll container would otherwise clip. */
.stack { display: flex; flex-direction: column; gap: 8px; width: 404px; max-width: calc(100vw - 8px);
  max-height: calc(100vh - var(--top, 56px)); overflow-y: auto; padding: 4px 12px 16px; }
.card { --font: system-ui, sans-serif; --header-bg: #232f3e; --header-fg: #fff; --primary: #ec7211; --primary-hover: #eb5f07;
  --primary-fg: #fff; --focus: #0972d3; --mono: Monaco, Menlo, Consolas, "Courier Prime", Courier, "Courier New", monospace; --radius: 4px; --btn-radius: 2px; --border: #d5dbdb; --muted: #545b64; --text: #16191f;
  font-family: var(--font); font-size: 14px; line-height: 1.45; color: var(--text); background: #fff;
  border: 1px solid var(--border); border-radius: var(--radius); box-shadow: 0 2px 12px rgba(0, 0, 0, 0.24); overflow: hidden;
  text-align: left; direction: ltr; flex-shrink: 0; }
.theme-aws { --font: "Amazon Ember", "Helvetica Neue", Roboto, Arial, sans-serif; --primary: #ff9900; --primary-hover: #fa6f00;
  --primary-fg: #0f141a; --radius: 12px; --btn-radius: 20px; --input-radius: 8px; }
.theme-azure { --font: "Segoe UI", "Segoe UI Web (West European)", -apple-system, BlinkMacSystemFont, Roboto, "Helvetica Neue", sans-serif;
  --header-bg: #0078d4; --primary: #0078d4; --primary-hover: #106ebe; --focus: #605e5c; --radius: 2px; --btn-radius: 2px;
  --border: #edebe9; --muted: #605e5c; --text: #323130; }
.theme-gcp { --font: "Google Sans", Roboto, Arial, sans-serif; --header-bg: #1a73e8; --primary: #1a73e8; --primary-hover: #1765cc;
  --focus: #1a73e8; --radius: 8px; --btn-radius: 4px; --border: #dadce0; --muted: #5f6368; --text: #202124; --mono: "Roboto Mono", Menlo, Consolas, monospace; }
header { display: flex; align-items: center; gap: 8px; background: var(--header-bg); color: var(--header-fg); padding: 8px 8px 8px 14px; }
h2 { flex: 1; margin: 0; font: 700 15px/1.3 var(--font); color: inherit; }
.dismiss { all: unset; box-sizing: border-box; width: 28px; height: 28px; border-radius: 50%; text-align: center;
  font: 400 20px/28px var(--font); color: inherit; cursor: pointer; }
.dismiss:hover { background: rgba(255, 255, 255, 0.18); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 12px; margin: 0; padding: 10px 14px 2px; }
dt { color: var(--muted); font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; min-width: 0; }
.bidi { unicode-bidi: isolate; }
.mono, code { font-family: var(--mono); font-size: 13px; }
ul.actions { list-style: none; margin: 0; padding: 0; }
ul.actions li { margin: 0 0 2px; }
.risk { display: inline-block; margin-left: 4px; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 700;
  line-height: 16px; vertical-align: 1px; text-transform: uppercase; letter-spacing: 0.02em; }
.risk-read { background: #e6f4ea; color: #137333; }
.risk-write { background: #fef7e0; color: #8a4b00; }
.risk-admin { background: #fce8e6; color: #b3261e; }
.muted { color: var(--muted); }
.form, .blocked { padding: 8px 14px 4px; display: flex; flex-direction: column; gap: 8px; }
.blocked p { margin: 0; }
.field { display: flex; flex-direction: column; gap: 4px; }
label { font-weight: 700; font-size: 13px; }
select, textarea, input { font: 14px/1.4 var(--font); color: var(--text); background: #fff; border: 1px solid #879596;
  border-radius: var(--input-radius, var(--btn-radius)); padding: 5px 8px; width: 100%; }
select { width: auto; min-width: 140px; align-self: flex-start; }
textarea { resize: vertical; min-height: 52px; }
[aria-invalid="true"] { border-color: #d13212; }
.hint { color: var(--muted); font-size: 12px; }
.error { color: #d13212; font-size: 13px; margin: 0; }
.actions-row { display: flex; align-items: flex-end; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.primary { font: 700 14px/1.3 var(--font); background: var(--primary); color: var(--primary-fg); border: 1px solid var(--primary);
  border-radius: var(--btn-radius); padding: 6px 18px; cursor: pointer; }
.primary:hover:not(:disabled) { background: var(--primary-hover); border-color: var(--primary-hover); }
.primary:disabled { opacity: 0.55; cursor: default; }
.status { color: #037f0c; font-size: 13px; margin: 0; min-height: 0; }
.status:empty { display: none; }
:focus { outline: none; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
header :focus-visible { outline-color: #fff; }
.excerpt { padding: 4px 14px 10px; color: var(--muted); font-size: 12px; }
.excerpt summary { cursor: pointer; }
.excerpt p { margin: 6px 0 0; overflow-wrap: anywhere; }
@media (prefers-reduced-motion: no-preference) { .card { animation: unblock-in 120ms ease-out; } }
@keyframes unblock-in { from { opacity: 0; transform: translateY(-4px); } to { opacity: 1; transform: none; } }
`;

/** Pixels from the viewport top to just below each console's header bar. */
export const HEADER_OFFSET: Record<'aws' | 'azure' | 'gcp', number> = { aws: 56, azure: 48, gcp: 72 };
