/* pantap HTML report: draws the page from the embedded JSON. Every string is set with
   textContent, never parsed as markup: details, SNI and addresses come off the wire. */
/* global document, window, uPlot */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('pantap-data').textContent);
  const app = document.getElementById('app');
  const STATUS_WORD = { failing: 'FAILING', partial: 'partial', degraded: 'degraded', up: 'up', 'not-seen': 'not seen' };
  const STATUS_ORDER = ['failing', 'partial', 'degraded', 'up'];
  const COLOURS = { up: '#2e7d32', degraded: '#b26a00', partial: '#d84315', failing: '#c62828' };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else if (k === 'cls') e.className = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }
  const fmt = (n) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en-US'));
  const statusSpan = (st) => el('span', { cls: `status st-${st}`, text: STATUS_WORD[st] });

  // ── header ──
  app.append(el('h1', { text: data.title }));
  const facts = el('ul', { cls: 'facts' });
  for (const f of data.facts) facts.append(el('li', { text: f }));
  app.append(facts);

  // ── health ──
  const counts = STATUS_ORDER.filter((s) => data.healthCounts[s]).map((s) => `${data.healthCounts[s]} ${STATUS_WORD[s]}`).join(', ');
  app.append(el('h2', { id: 'health-title', text: data.health.length ? `Health — ${counts}` : 'Health — no catalog channel seen' }));
  if (data.health.length) {
    const t = el('table', { id: 'health' });
    t.append(el('thead', {}, row('th', ['Status', 'Channel', 'Client → server', 'Flows', 'Failed', 'Warned', 'Reason', 'Last success', 'Last failure'])));
    const tb = el('tbody');
    for (const h of data.health) {
      const tr = el('tr', { cls: `row-${h.status}` });
      tr.append(el('td', {}, statusSpan(h.status)), el('td', { text: h.channel }), el('td', { cls: 'mono', text: `${h.client} → ${h.server}` }));
      for (const n of [h.flows, h.failed, h.degraded]) tr.append(el('td', { cls: 'num', text: fmt(n) }));
      tr.append(el('td', { cls: 'nowrap', text: h.reason }), el('td', { cls: 'mono', text: h.lastSuccess }), el('td', { cls: 'mono', text: h.lastFailure }));
      tb.append(tr);
    }
    t.append(tb);
    app.append(t);
  }

  function row(cell, texts) {
    const tr = el('tr');
    for (const t of texts) tr.append(el(cell, { text: t }));
    return tr;
  }

  // ── matrix ──
  app.append(el('h2', { text: `Devices × channels — ${data.devices.length} devices, ${data.channels.length} channels seen` }));
  const legend = el('div', { cls: 'legend' });
  for (const s of ['failing', 'partial', 'degraded', 'up', 'not-seen']) legend.append(el('span', {}, el('i', { cls: `cell c-${s}` }), STATUS_WORD[s]));
  app.append(legend);
  if (data.devices.length && data.channels.length) {
    const t = el('table', { id: 'matrix', cls: 'matrix' });
    const head = el('tr', {}, el('th', { text: 'Device' }));
    for (const c of data.channels) head.append(el('th', { cls: 'ch', text: c.label, title: c.entry }));
    t.append(el('thead', {}, head));
    const tb = el('tbody');
    for (const d of data.devices) {
      const tr = el('tr', {}, el('th', { cls: 'mono', text: d.address + (d.roles.length ? ` (${d.roles.join(', ')})` : '') }));
      for (const c of d.cells) {
        const tip = c.status === 'not-seen' ? `${c.label}: not seen` : `${c.label}: ${STATUS_WORD[c.status]}, ${c.flows} flows, ${c.failed} failed; ${c.peers}${c.reasons.length ? '; ' + c.reasons.join(', ') : ''}`;
        tr.append(el('td', { cls: `cell c-${c.status}`, title: tip, 'data-status': c.status, 'data-entry': c.entry, text: c.status === 'not-seen' ? '·' : String(c.flows) }));
      }
      tb.append(tr);
    }
    t.append(tb);
    app.append(t);
    app.append(el('p', { cls: 'note', text: 'Cells: the device\u2019s flows in the channel, coloured by their verdicts (failing: all failed, partial: some). Hover a cell for peers and reasons.' }));
  }

  // ── cards ──
  app.append(el('h2', { text: 'Devices' }));
  const cards = el('div', { cls: 'cards', id: 'cards' });
  for (const d of data.devices) {
    const seen = d.cells.filter((c) => c.status !== 'not-seen');
    const bad = seen.filter((c) => c.status !== 'up');
    const worst = STATUS_ORDER.find((s) => seen.some((c) => c.status === s)) || 'not-seen';
    const card = el('section', { cls: `card c-${worst}`, 'data-address': d.address });
    card.append(el('h3', { cls: 'mono', text: d.address }));
    const roles = d.roles.length ? d.roles.join(', ') : 'no role decided';
    const possible = d.possible.length ? ` (possible: ${d.possible.join(', ')})` : '';
    card.append(el('div', { cls: 'roles', text: `Role: ${roles}${possible}${d.source ? ` — ${d.source}` : ''}` }));
    if (d.evidence.length) card.append(el('div', { cls: 'evidence', text: `Evidence: ${d.evidence.join('; ')}` }));
    const list = (title, items, cls) => {
      card.append(el('div', { cls: `k ${cls}`, text: `${title} (${items.length})` }));
      const ul = el('ul', { cls });
      for (const c of items) ul.append(el('li', { text: c.status === 'not-seen' ? c.label : `${c.label} — ${c.peers}${c.reasons.length ? ` — ${c.reasons.join(', ')}` : ''}` }));
      if (items.length) card.append(ul);
    };
    list('Failing / degraded', bad, 'failing');
    list('Up', seen.filter((c) => c.status === 'up'), 'up');
    const unseen = d.cells.filter((c) => c.status === 'not-seen');
    if (unseen.length) {
      const det = el('details', { cls: 'not-seen' }, el('summary', { cls: 'k', text: `Not seen (${unseen.length} of the channels seen in the capture)` }));
      const ul = el('ul');
      for (const c of unseen) ul.append(el('li', { text: c.label }));
      det.append(ul);
      card.append(det);
    }
    cards.append(card);
  }
  app.append(cards);

  // ── timeline (uPlot) ──
  const lanes = data.timeline.lanes;
  app.append(el('h2', { text: `Timeline — ${lanes.length} channels, ${data.timeline.intervalSeconds} s intervals (UTC)` }));
  const tl = el('div', { id: 'timeline' });
  app.append(tl);
  if (lanes.length && typeof uPlot === 'function') {
    const xs = [...new Set(lanes.flatMap((l) => l.buckets.map((b) => b[0])).concat(lanes.flatMap((l) => l.gaps.flatMap((g) => [g.start, g.end]))))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const n = lanes.length;
    const laneY = (i) => n - i; // first channel on top
    const okY = [], failY = [], warnY = [], gapY = [];
    const series = [{}];
    const arrays = [xs];
    const push = (label, colour, size, fill, values, line) => {
      // A gap is a line between its two ends (nulls in between: spanGaps); the rest are dots.
      series.push({ label, stroke: colour, width: line ? 6 : 0, paths: line ? undefined : () => null, points: { show: !line, size, fill, stroke: colour }, spanGaps: line });
      arrays.push(values);
    };
    lanes.forEach((l, i) => {
      const ok = new Array(xs.length).fill(null), fail = new Array(xs.length).fill(null), warn = new Array(xs.length).fill(null);
      for (const [t, flows, failed, warnings] of l.buckets) {
        const k = at.get(t);
        if (failed > 0) fail[k] = laneY(i);
        else if (warnings > 0) warn[k] = laneY(i);
        else if (flows > 0) ok[k] = laneY(i);
      }
      okY.push(ok); failY.push(fail); warnY.push(warn);
      for (const g of l.gaps) {
        const v = new Array(xs.length).fill(null);
        v[at.get(g.start)] = laneY(i);
        v[at.get(g.end)] = laneY(i);
        gapY.push(v);
      }
    });
    // One series per lane and kind (points only), so each lane's dots keep their row.
    const kinds = [['active', COLOURS.up, 7, okY], ['failed', COLOURS.failing, 12, failY], ['warning', COLOURS.degraded, 10, warnY]];
    for (const [label, colour, size, rows] of kinds) {
      rows.forEach((r, i) => { if (r.some((v) => v !== null)) push(`${label}: ${lanes[i].label}`, colour, size, colour, r, false); });
    }
    gapY.forEach((g, i) => push(i === 0 ? 'gap' : `gap ${i + 1}`, '#6a1b9a', 0, '#6a1b9a', g, true));
    const labels = lanes.map((l) => l.label);
    const width = Math.max(720, Math.min(1340, (tl.clientWidth || 1200) - 16));
    const opts = {
      width,
      height: 60 + n * 26,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: [0.5, n + 0.5] } },
      axes: [
        { grid: { stroke: '#eee' }, label: `UTC, ${xs.length ? new Date(xs[0] * 1000).toISOString().slice(0, 10) : ''}`, values: (_, splits) => splits.map((v) => new Date(v * 1000).toISOString().slice(11, 19)) },
        { size: 420, font: '12px sans-serif', splits: () => labels.map((_, i) => laneY(i)), values: (_, splits) => splits.map((v) => labels[n - v] || ''), grid: { stroke: '#eee' } },
      ],
      series: series.map((s) => s),
    };
    new uPlot(opts, arrays, tl);
  } else if (!lanes.length) tl.append(el('p', { text: 'No channel seen.' }));
  const gaps = lanes.flatMap((l) => l.gaps.map((g) => ({ l, g })));
  const gl = el('ul', { cls: 'gaps', id: 'gaps' });
  for (const { l, g } of gaps) gl.append(el('li', { text: `gap: ${l.label} — ${new Date(g.start * 1000).toISOString().replace('T', ' ').slice(0, 19)} UTC, ${g.seconds.toFixed(1)} s silent` }));
  app.append(el('p', { cls: 'note', text: 'Dots: intervals with flows open (green), a failed flow ending (red), a warning (amber); purple bars: silences of long-lived sessions. Drag to zoom, double-click to reset.' }));
  if (gaps.length) app.append(gl);

  // ── flow table ──
  app.append(el('h2', { text: 'Flows' }));
  app.append(el('p', { cls: 'note', text: `Listed: ${data.flowsNote}. Click a header to sort; type to filter.` }));
  const filter = el('input', { id: 'flow-filter', type: 'search', placeholder: 'filter: address, port, reason, detail…' });
  app.append(el('div', { cls: 'filter' }, filter));
  const cols = [
    ['First seen', 'firstSeen', false], ['Client', 'client', false], ['Port', 'clientPort', 'port'], ['Server', 'server', false], ['Port', 'serverPort', 'port'],
    ['Proto', 'proto', false], ['Channel', 'entries', false], ['Section', 'section', false], ['Verdict', 'verdict', false], ['Reason', 'reason', false],
    ['Packets', 'packets', true], ['Bytes', 'bytes', true], ['Detail', 'detail', false],
  ];
  const ft = el('table', { id: 'flows' });
  const hr = el('tr');
  cols.forEach(([name, , numeric], i) => {
    const th = el('th', { text: name, 'data-col': String(i) });
    th.addEventListener('click', () => sortBy(i, numeric, th));
    hr.append(th);
  });
  ft.append(el('thead', {}, hr));
  const fb = el('tbody');
  for (const f of data.flows) {
    const tr = el('tr', { cls: f.verdict === 'failed' ? 'row-failing' : f.verdict === 'warning' ? 'row-degraded' : '' });
    for (const [, key, numeric] of cols) {
      const v = f[key];
      const text = v === null ? '' : numeric === true ? fmt(v) : String(v);
      const td = el('td', { cls: numeric ? 'num mono' : key === 'client' || key === 'server' || key === 'firstSeen' ? 'mono' : '', text });
      td.dataset.v = v === null ? '' : String(v);
      tr.append(td);
    }
    fb.append(tr);
  }
  ft.append(fb);
  app.append(ft);
  if (!data.flows.length) app.append(el('p', { text: 'No flow listed.' }));

  function sortBy(i, numeric, th) {
    const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    for (const h of hr.children) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    const rows = [...fb.rows];
    const key = (r) => r.cells[i].dataset.v;
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const c = numeric ? (x === '' ? -1 : Number(x)) - (y === '' ? -1 : Number(y)) : x.localeCompare(y, 'en', { numeric: true });
      return c * dir;
    });
    fb.append(...rows);
  }
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const r of fb.rows) r.hidden = q !== '' && !r.textContent.toLowerCase().includes(q);
  });
  window.pantapReady = true;
})();
