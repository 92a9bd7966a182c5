/**
 * The report's stylesheet and its one script, inlined into the page. Nothing is loaded from
 * anywhere: system fonts only, no images, and the page's Content-Security-Policy allows exactly
 * these two blocks (by hash), so even a crafted bench name could not make the page fetch a thing.
 */
import { createHash } from 'node:crypto'

export const STYLE = `
:root { --fg: #1d2330; --muted: #5b6472; --bg: #ffffff; --panel: #f5f6f8; --line: #d9dde3; --grid: #eceef2;
  --ok: #1a7f37; --bad: #b42318; --warn: #9a6700; --warn-bg: #fff8e1; --bad-bg: #fdecea; --steady: rgba(0, 114, 178, 0.08);
  color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --muted: #a0a7b2; --bg: #15181d; --panel: #1e232a; --line: #343b45; --grid: #262c34;
    --ok: #4ac26b; --bad: #ff7b72; --warn: #e3b341; --warn-bg: #2d2613; --bad-bg: #3a1d1b; --steady: rgba(86, 180, 233, 0.12); }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 24px clamp(12px, 3vw, 40px); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; overflow-wrap: anywhere; }
a { color: inherit; }
.meta, .note, figcaption { color: var(--muted); }
.meta { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 14px; margin: 4px 0; }
.notice { background: var(--warn-bg); border-left: 3px solid var(--warn); padding: 8px 12px; margin: 12px 0; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table.results { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
table.results th, table.results td { padding: 5px 8px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
table.results .num { text-align: right; }
table.results thead th { position: sticky; top: 0; background: var(--panel); }
table.results th button { all: unset; cursor: pointer; font-weight: 600; }
table.results th button::after { content: " \\2195"; color: var(--muted); font-weight: 400; }
table.results th[aria-sort="ascending"] button::after { content: " \\2191"; color: var(--fg); }
table.results th[aria-sort="descending"] button::after { content: " \\2193"; color: var(--fg); }
table.results tr.failed td, table.results tr.interrupted td { background: var(--bad-bg); }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; border: 1px solid currentColor; }
.badge.completed, .badge.passed { color: var(--ok); }
.badge.failed, .badge.interrupted { color: var(--bad); }
.warn-count { color: var(--warn); font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; }
figure.chart { margin: 0; padding: 12px; background: var(--panel); border-radius: 6px; }
figure.chart svg { width: 100%; height: auto; display: block; }
.experiments { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; }
section.experiment { border: 1px solid var(--line); border-radius: 6px; padding: 14px; min-width: 0; align-self: start; }
section.experiment.failed, section.experiment.interrupted { border-color: var(--bad); }
.error { background: var(--bad-bg); border-left: 3px solid var(--bad); padding: 8px 12px; margin: 8px 0; overflow-wrap: anywhere; }
.error pre { white-space: pre-wrap; margin: 6px 0 0; font-size: 12px; }
ul.warnings { background: var(--warn-bg); border-left: 3px solid var(--warn); margin: 8px 0; padding: 8px 12px 8px 28px; overflow-wrap: anywhere; }
.empty { color: var(--muted); font-style: italic; }
ul.legend { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; overflow-wrap: anywhere; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; background: var(--c); }
svg text { fill: var(--muted); font-size: 11px; }
svg .axis-title { fill: var(--fg); font-size: 12px; }
svg .grid { stroke: var(--grid); }
svg .plot-border { fill: none; stroke: var(--line); }
svg .steady-state { fill: var(--steady); }
svg .point { fill: var(--bg); stroke: var(--c); stroke-width: 1.5; }
svg .point.frontier { fill: var(--c); stroke: var(--bg); stroke-width: 1; }
svg .frontier-line { fill: none; stroke: var(--c); stroke-width: 2; stroke-linejoin: round; }
svg .power-line { fill: none; stroke: var(--c); stroke-width: 1.3; stroke-linejoin: round; }
.series-0 { --c: #0072b2; } .series-1 { --c: #d55e00; } .series-2 { --c: #009e73; } .series-3 { --c: #cc79a7; }
.series-4 { --c: #e69f00; } .series-5 { --c: #56b4e9; } .series-6 { --c: #7f7f7f; }
`

/**
 * Sorting for every table.sortable: a header click sorts by that column, a second click reverses.
 * Empty cells stay last either way; ties keep the current order.
 */
export const SCRIPT = `
(function () {
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var sign = dir === 'ascending' ? 1 : -1;
        var numeric = th.getAttribute('data-type') === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
          var cell = row.cells[col];
          var key = cell.hasAttribute('data-null') ? null : numeric ? Number(cell.getAttribute('data-v')) : cell.textContent.trim();
          return { row: row, i: i, key: key };
        });
        rows.sort(function (a, b) {
          if (a.key === null || b.key === null) return a.key === b.key ? a.i - b.i : a.key === null ? 1 : -1;
          var c = numeric ? a.key - b.key : a.key.localeCompare(b.key, undefined, { numeric: true });
          return c !== 0 ? sign * c : a.i - b.i;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
})();
`

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`
}

/** Nothing may load; only these exact style and script blocks may apply. */
export function contentSecurityPolicy(style: string, script: string): string {
  return `default-src 'none'; style-src ${sha256(style)}; script-src ${sha256(script)}; img-src data:; base-uri 'none'; form-action 'none'`
}
