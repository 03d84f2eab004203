"""HTML: self-contained pages (inline CSS and JS, no external assets).

``render(findings)`` lists findings grouped by endpoint; ``render_matrix(matrix)`` is the client x
daemon heatmap of ``apicheck matrix --html``: a cell opens its hazard list, grouped by endpoint.
The data travel as JSON inside the page and are shown with ``textContent`` only (no HTML injection).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from checker.report.common import counts, detail_text, group, where
from specs.findings import Finding

if TYPE_CHECKING:
    from checker.matrix import Matrix

_STYLE = """
:root{--bg:#f7f7f9;--fg:#1d2330;--mute:#6b7280;--line:#e3e5ea;--err:#c62828;--warn:#e08a00;--info:#5b7db1}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header{padding:18px 24px 8px}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}.mute{color:var(--mute)}
main{padding:0 24px 24px}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:12px 0}
.sev{display:inline-block;min-width:58px;text-align:center;border-radius:9px;padding:0 6px;font-size:12px;color:#fff}
.sev.error{background:var(--err)}.sev.warning{background:var(--warn)}.sev.info{background:var(--info)}
.ep{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:600}
ul.items{list-style:none;margin:6px 0 0;padding:0}ul.items li{padding:3px 0;border-top:1px dashed var(--line)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
details>summary{cursor:pointer;padding:4px 0}
"""


def render(findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    by_endpoint, shared = group(findings)
    parts = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title><style>{_STYLE}</style></head>",
             f"<body><header><h1>{escape(title)}</h1><div class=mute>{escape(counts(findings))}</div></header><main>"]
    for (method, path), items in by_endpoint.items():
        parts.append(f"<section class=card><div class=ep>{escape(f'{method} {path}')}</div><ul class=items>")
        for f in items:
            text = f.extra.get("message") or f"{where(f)}: {f.kind} {detail_text(f)}"
            parts.append(f"<li><span class='sev {escape(f.severity)}'>{escape(f.severity)}</span> "
                         f"<span class=mute>{escape(f.hazard or '')}</span> {escape(text)}</li>")
        parts.append("</ul></section>")
    for g in shared:
        parts.append(f"<section class=card><div class=ep>{escape(f'{g.schema}.{g.path}')}: {escape(g.kind)}</div>"
                     f"<div>{escape(g.text)}</div><ul class=items>")
        parts.extend(f"<li class=mono>{escape(f'{f.method} {f.path} {where(f)}')}</li>" for f in g.findings)
        parts.append("</ul></section>")
    parts.append("</main></body></html>\n")
    return "".join(parts)


_MATRIX_STYLE = _STYLE + """
.layout{display:grid;grid-template-columns:minmax(0,max-content) minmax(260px,1fr);gap:16px;align-items:start}
@media (max-width:1250px){.layout{grid-template-columns:1fr}}
.controls{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center}.controls label{white-space:nowrap;cursor:pointer}
.legend{display:flex;align-items:center;gap:8px;margin-top:8px}.scale{width:220px;height:12px;border-radius:6px;border:1px solid var(--line)}
.gridwrap{overflow:auto;max-height:86vh;max-width:100%}
table.m{border-collapse:separate;border-spacing:1px;font-size:10.5px}
table.m th{font-weight:600;color:var(--mute);padding:2px 3px;background:var(--bg);position:sticky;z-index:1}
table.m thead th{top:0}table.m tbody th{left:0;text-align:right}
table.m td{width:27px;height:19px;min-width:27px;text-align:center;border-radius:4px;cursor:pointer;color:#1d2330;font-variant-numeric:tabular-nums}
table.m td.diag{background:#eceef2;cursor:default;color:#b0b4bd}
table.m td.sel{outline:2px solid #1d2330;outline-offset:0}
table.m td:hover:not(.diag){outline:2px solid #4b5563}
.axis{font-size:12px;color:var(--mute)}
#panel{position:sticky;top:8px;max-height:88vh;overflow:auto}
#panel .group{margin:8px 0}#panel .group summary .n{color:var(--mute);font-weight:400}
.kindtag{font-family:ui-monospace,monospace;font-size:11.5px;background:#eef1f6;border-radius:4px;padding:0 4px}
.src{font-size:11px;color:#7c3aed}
"""

_MATRIX_JS = r"""
(function(){
'use strict';
const D = JSON.parse(document.getElementById('matrix-data').textContent);
const V = D.versions, R = D.rows || V, ITEMS = D.items, CELLS = D.cells;
const W = {error: 6, warning: 2, info: 0.5};
const kindBoxes = Array.from(document.querySelectorAll('input[data-kind]'));
const sevBoxes = Array.from(document.querySelectorAll('input[data-sev]'));
let selected = null;
function active(){
  const kinds = new Set(kindBoxes.filter(b => b.checked).map(b => b.dataset.kind));
  const sevs = new Set(sevBoxes.filter(b => b.checked).map(b => b.dataset.sev));
  return it => kinds.has(KIND(it[3])) && sevs.has(it[4]);
}
function KIND(k){ return D.kinds.includes(k) ? k : 'behaviour'; }
function cellItems(c, s){ return (CELLS[c + '|' + s] || []).map(i => ITEMS[i]); }
function colour(score, max){
  if (score <= 0) return '#ffffff';
  const t = Math.log1p(score) / Math.log1p(max);
  // white -> amber -> red -> dark red
  const stops = [[255,247,214],[253,196,92],[230,92,48],[150,20,35]];
  const x = t * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i+1][k] - v) * f));
  return 'rgb(' + c.join(',') + ')';
}
function paint(){
  const keep = active();
  const scores = {}; let max = 1;
  for (const c of R) for (const s of V) {
    if (c === s) continue;
    let n = 0, score = 0;
    for (const it of cellItems(c, s)) if (keep(it)) { n++; score += W[it[4]] || 1; }
    scores[c + '|' + s] = [n, score]; if (score > max) max = score;
  }
  for (const td of document.querySelectorAll('td[data-c]')) {
    const [n, score] = scores[td.dataset.c + '|' + td.dataset.s];
    td.style.background = colour(score, max);
    td.style.color = score / max > 0.45 ? '#fff' : '#1d2330';
    td.textContent = n ? (n > 999 ? Math.round(n / 100) / 10 + 'k' : String(n)) : '';
    td.title = 'client ' + td.dataset.c + ' / daemon ' + td.dataset.s + ': ' + n + ' hazards';
  }
  document.getElementById('scale').style.background =
    'linear-gradient(90deg,' + [0, 0.25, 0.5, 0.75, 1].map(t => colour(Math.expm1(t * Math.log1p(max)), max)).join(',') + ')';
  if (selected) show(selected.dataset.c, selected.dataset.s);
}
function el(tag, cls, text){ const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
function show(c, s){
  const panel = document.getElementById('panel');
  const keep = active();
  const list = cellItems(c, s).filter(keep);
  panel.replaceChildren();
  const dir = D.rows ? 'what ' + c + ' sent that daemon ' + s + ' does not understand, and what it may read wrongly'
            : V.indexOf(c) > V.indexOf(s) ? 'newer client: what client ' + c + ' may send or expect that daemon ' + s + ' does not know'
                                         : 'newer daemon: what daemon ' + s + ' returns, requires or removed that client ' + c + ' does not know';
  panel.append(el('h2', null, 'client ' + c + ' \u2192 daemon ' + s + ': ' + list.length + ' hazards'));
  panel.append(el('div', 'mute', dir));
  const groups = new Map();
  for (const it of list) { const k = (it[0] ? it[0] + ' ' : '') + it[1]; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(it); }
  const ordered = Array.from(groups.entries()).sort((a, b) => rank(b[1]) - rank(a[1]) || a[0].localeCompare(b[0]));
  const box = el('div', 'hazard-list'); box.id = 'hazard-list';
  for (const [ep, its] of ordered) {
    const d = el('details', 'group'); if (ordered.length <= 8 || box.childElementCount < 3) d.open = true;
    const sum = el('summary'); sum.append(el('span', 'ep', ep), el('span', 'n', '  ' + its.length));
    d.append(sum);
    const ul = el('ul', 'items');
    for (const it of its) {
      const li = el('li');
      li.append(el('span', 'sev ' + it[4], it[4]), ' ', el('span', 'kindtag', it[3]), ' ', el('code', null, it[2]), ' ', el('span', null, it[5]));
      if (it[6] !== 'spec') li.append(' ', el('span', 'src', it[6]));
      ul.append(li);
    }
    d.append(ul); box.append(d);
  }
  if (!list.length) box.append(el('p', 'mute', c === s ? 'Same version: nothing to report.' : 'No hazards of the selected kinds.'));
  panel.append(box);
}
function rank(its){ let r = 0; for (const it of its) r = Math.max(r, W[it[4]] || 0); return r * 1000 + its.length; }
document.getElementById('grid').addEventListener('click', ev => {
  const td = ev.target.closest('td[data-c]'); if (!td) return;
  if (selected) selected.classList.remove('sel');
  selected = td; td.classList.add('sel');
  show(td.dataset.c, td.dataset.s);
});
for (const b of [...kindBoxes, ...sevBoxes]) b.addEventListener('change', paint);
paint();
})();
"""


def render_matrix(matrix: Matrix, title: str = "apicheck matrix") -> str:
    from checker.matrix import KINDS

    kinds_shown = matrix.kinds or KINDS
    data: dict[str, Any] = {
        "versions": matrix.versions,
        "kinds": list(kinds_shown),
        "items": matrix.items,
        "cells": {f"{c.client}|{c.server}": c.items for c in matrix.cells.values() if c.items},
    }
    if matrix.rows is not None:
        data["rows"] = matrix.rows
    # "</" must not close the script element that carries the data.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    head = "".join(f"<th scope=col>{escape(v)}</th>" for v in matrix.versions)
    rows = []
    for c in matrix.rows if matrix.rows is not None else reversed(matrix.versions):
        tds = "".join(
            "<td class=diag>&middot;</td>" if c == s else f"<td data-c='{escape(c)}' data-s='{escape(s)}'></td>"
            for s in matrix.versions
        )
        rows.append(f"<tr><th scope=row>{escape(c)}</th>{tds}</tr>")
    kinds = "".join(
        f"<label><input type=checkbox data-kind='{escape(k)}'{'' if k in matrix.kinds_off else ' checked'}> {escape(k)}</label>"
        for k in kinds_shown
    )
    sevs = "".join(
        f"<label><input type=checkbox data-sev='{s}'{' checked' if s != 'info' else ''}> <span class='sev {s}'>{s}</span></label>"
        for s in ("error", "warning", "info")
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_MATRIX_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><div class=mute>Docker Engine API {escape(matrix.versions[0])} &ndash; "
        f"{escape(matrix.versions[-1])}: "
        + (escape(matrix.description) if matrix.description else
           "hazards of every client &times; daemon pairing. Rows: the client's API version; "
           "columns: the daemon's. Rows run newest first, so above the diagonal (top left) the client is newer, below it (bottom right) the daemon is. Click a cell for its list.")
        + "</div></header>"
        f"<main><div class='card controls'><strong>Kinds</strong>{kinds}</div>"
        f"<div class='card controls'><strong>Severity</strong>{sevs}"
        f"<div class=legend><span class=mute>fewer</span><div id=scale class=scale></div><span class=mute>more (weighted: error 6, warning 2, info 0.5; log scale)</span></div></div>"
        f"<div class=layout><div class='card gridwrap'><div class=axis>client &darr; &nbsp; daemon &rarr;</div>"
        f"<table class=m id=grid><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        f"<aside class=card id=panel><h2>Pick a cell</h2><p class=mute>Each cell counts what can go wrong between that client "
        f"and that daemon; its list is grouped by endpoint.</p></aside></div></main>"
        f"<script type=application/json id=matrix-data>{payload}</script><script>{_MATRIX_JS}</script></body></html>\n"
    )
