/**
 * The dashboard `ferry serve` shows at `/`: one self-contained page (no build step, no external
 * assets, readable on a phone) that polls `/api/v1/health/database` every 5 s and draws each
 * database's state. It holds no data itself; with `--token`, the viewer gives the token once (or in
 * the address as `#token=...`, which browsers never send), and the page sends it as a Bearer header.
 */
export function dashboardPage(prefix = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ferry: database health</title><link rel="icon" href="data:,">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{padding:12px 16px;background:#1d2330;color:#fff;display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:8px}
main{padding:12px;display:grid;gap:12px;grid-template-columns:repeat(auto-fill,minmax(min(300px,100%),1fr))}
section{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0002;border-left:6px solid #999}
section.ok{border-left-color:#1a7f37}section.warn{border-left-color:#bf8700}section.fail{border-left-color:#cf222e}
h2{font-size:17px;margin:0 0 6px}dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0}dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
ul{margin:6px 0 0;padding-left:18px}li{overflow-wrap:anywhere}li.error{color:#cf222e}li.warning{color:#9a6700}
#status{font-weight:600}#token{display:none;padding:12px 16px}
</style></head>
<body>
<header><span>ferry: database health</span><span id="status">checking…</span></header>
<form id="token"><label>Token <input id="token-input" type="password" autocomplete="off"></label> <button>Show</button></form>
<main id="databases"></main>
<script>
const api = ${JSON.stringify(prefix + '/api/v1/health/database')};
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) { sessionStorage.setItem('ferry-token', fromHash); history.replaceState(null, '', location.pathname + location.search); }
const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); Object.assign(e, attrs || {}); e.append(...kids); return e; };
function age(s) { return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : s < 172800 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' days'; }
function card(d) {
  const state = !d.reachable || d.errors.length ? 'fail' : d.warnings.length ? 'warn' : 'ok';
  const rows = [['state', !d.reachable ? 'unreachable' : state === 'ok' ? 'healthy' : state === 'warn' ? 'warnings' : 'errors'], ['database', d.url], ['engine', (d.engine || '?') + (d.serverVersion ? ' ' + d.serverVersion : '')]];
  if (d.latencyMs !== null) rows.push(['latency', d.latencyMs + ' ms']);
  if (d.revisions) rows.push(['revision', (d.revisions.current.join(', ') || 'base') + (d.revisions.pending ? ' (' + d.revisions.pending + ' pending)' : ' (up to date)')]);
  for (const s of (d.revisions && d.revisions.steps) || []) rows.push(['backfill', s.label + (s.rowsTotal ? ': ' + Math.floor(100 * s.rowsDone / s.rowsTotal) + '%' : '')]);
  // An unreachable database's backups were never looked for.
  if (d.reachable) rows.push(['backup', d.backup ? d.backup.latest + ', ' + age(d.backup.ageSeconds) + ' old' : 'none found']);
  for (const s of d.sync) rows.push(['sync', s.phase + ' from ' + s.source]);
  if (d.server) rows.push(['connections', d.server.connections + ' of ' + d.server.maxConnections]);
  const list = el('ul', {}, ...d.errors.map((m) => el('li', { className: 'error' }, m)), ...d.warnings.map((m) => el('li', { className: 'warning' }, m)));
  return el('section', { className: state, id: 'db-' + d.name }, el('h2', {}, d.name), el('dl', {}, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])), list);
}
async function refresh() {
  const token = sessionStorage.getItem('ferry-token');
  try {
    const res = await fetch(api, { headers: token ? { authorization: 'Bearer ' + token } : {}, cache: 'no-store' });
    if (res.status === 401) { document.getElementById('token').style.display = 'block'; document.getElementById('status').textContent = 'token needed'; return; }
    const r = await res.json();
    // A check that failed (500) answers with its error, not a report.
    if (!Array.isArray(r.databases)) throw new Error(r.error || 'HTTP ' + res.status);
    document.getElementById('databases').replaceChildren(...r.databases.map(card));
    document.getElementById('status').textContent = (r.success ? 'all healthy' : r.errors.length + ' problem(s)') + ' · ' + new Date().toLocaleTimeString();
    document.body.dataset.state = r.success ? 'ok' : 'fail';
  } catch (e) {
    // fetch itself fails (a TypeError) only when nothing answers.
    document.getElementById('status').textContent = e instanceof TypeError ? 'ferry serve is not answering' : 'the check failed: ' + e.message;
    document.body.dataset.state = 'down';
  }
}
document.getElementById('token').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('ferry-token', document.getElementById('token-input').value); document.getElementById('token').style.display = 'none'; refresh(); });
refresh();
setInterval(refresh, 5000);
</script></body></html>
`;
}
