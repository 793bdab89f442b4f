/**
 * The stylesheet inlined into the demo's HTML report (report-html.ts): page layout, the summary
 * grid, chart strokes and legend swatches, and tables with right-aligned tabular amounts. Kept
 * apart from the markup so the renderer reads as layout only.
 */
export const REPORT_STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6470; --rule: #d8dde3; --ok: #17663a; --bad: #a3161a; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #f6f7f9; }
main { max-width: 1040px; margin: 0 auto; padding: 24px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: 16px 20px; margin: 20px 0; }
h2 { font-size: 19px; margin: 0 0 12px; }
h3 { font-size: 16px; margin: 20px 0 8px; }
h4 { margin: 0 0 4px; }
dl.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin: 0; }
dl.summary div { border: 1px solid var(--rule); border-radius: 6px; padding: 8px 12px; }
dl.summary dt { color: var(--muted); font-size: 12px; }
dl.summary dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { margin: 0 0 12px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #e6e9ed; stroke-width: 1; }
svg .zero { stroke: #8a939e; stroke-width: 1.2; }
svg .tick { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
svg .balance { fill: none; stroke-width: 2.5; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 16px; padding: 0; margin: 6px 0 0; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.swatch.line { height: 3px; vertical-align: 3px; }
.scroll { overflow-x: auto; max-width: 100%; }
.scroll th[scope="row"] { position: sticky; left: 0; background: #fff; z-index: 1; }
td.wrap { white-space: normal; min-width: 12ch; }
td.next { min-width: 24ch; }
tr.total th, tr.total td { font-weight: 600; border-top: 1px solid #aab2bd; }
th.item { padding-left: 24px; font-weight: normal; color: var(--muted); white-space: normal; }
section { overflow-wrap: anywhere; }
@media (max-width: 640px) { main { padding: 8px; } section { padding: 12px; } }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left; white-space: nowrap; }
thead th { border-bottom: 2px solid #aab2bd; }
tfoot th, tfoot td { border-top: 2px solid #aab2bd; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.tie { color: var(--ok); }
tr.off td, tr.off th, tr.off td.tie { color: var(--bad); }
.verdict.ok { color: var(--ok); font-weight: 600; }
.verdict.bad { color: var(--bad); font-weight: 600; }
.problems { border-left: 4px solid var(--bad); padding: 4px 12px; margin: 8px 0; }
.note { color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } }
`;
