// The local dashboard: one server-sent-events stream, a snapshot per second (local/dashboard).
/* global LightweightCharts */
const $ = (id) => document.getElementById(id);
const fmt = (x, digits = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(digits);
const clock = (ms) => new Date(ms).toISOString().slice(11, 23);

const chart = LightweightCharts.createChart($('chart'), {
  layout: { background: { color: '#171c23' }, textColor: '#d7dde4' },
  grid: { vertLines: { color: '#222932' }, horzLines: { color: '#222932' } },
  timeScale: { timeVisible: true, secondsVisible: true },
  rightPriceScale: { borderColor: '#2a323c' },
  autoSize: true,
});
const midSeries = chart.addSeries(LightweightCharts.LineSeries, {
  color: '#4c9aff',
  lineWidth: 2,
  priceLineVisible: false,
});
const predSeries = chart.addSeries(LightweightCharts.LineSeries, {
  color: '#e2b93b',
  lineVisible: false,
  pointMarkersVisible: true,
  pointMarkersRadius: 3,
  priceLineVisible: false,
  lastValueVisible: false,
});
const realSeries = chart.addSeries(LightweightCharts.LineSeries, {
  color: '#b57bff',
  lineVisible: false,
  pointMarkersVisible: true,
  pointMarkersRadius: 3,
  priceLineVisible: false,
  lastValueVisible: false,
});

const mids = new Map(); // second → mid
const series = (map) =>
  [...map.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));

function renderChart(s) {
  if (s.mid !== null) mids.set(Math.floor(s.timeMs / 1000), s.mid);
  for (const [t] of mids) if (t < s.timeMs / 1000 - 600) mids.delete(t);
  const predicted = new Map();
  const realised = new Map();
  for (const p of s.predictions) {
    const target = Math.floor(p.eventTimeMs / 1000) + 10;
    if (p.predictedMid !== undefined) predicted.set(target, p.predictedMid);
    if (p.realizedMid !== undefined) realised.set(target, p.realizedMid);
  }
  midSeries.setData(series(mids));
  predSeries.setData(series(predicted));
  realSeries.setData(series(realised));
}

function renderStatus(s) {
  $('symbol').textContent = s.symbol;
  $('source').textContent = `source: ${s.source} · up ${s.status.uptimeS}s`;
  const chips = [
    ['frames', s.status.frames],
    ['decode errors', s.status.decodeErrors],
    ['Kinesis records', s.status.kinesisRecords],
    ['diffs applied', s.status.diffsApplied],
    ['gaps', s.status.gaps],
    ['re-anchors', s.status.reanchors],
    ['venue checks', `${s.status.checksAgainstVenue} (${s.status.venueMismatches} bad)`],
    ['depth20 checks', `${s.status.depth20Checks} (${s.status.depth20Mismatches} bad)`],
  ];
  $('status').innerHTML = chips
    .map(([k, v]) => `<div class="chip"><span>${k}</span> <b>${v}</b></div>`)
    .join('');
  $('health').innerHTML = Object.entries(s.health)
    .map(
      ([name, h]) =>
        `<div class="service ${h.status}"><b>${name}</b><span>${h.status} · ${h.detail}</span></div>`,
    )
    .join('');
}

function renderBook(s) {
  const body = $('book').querySelector('tbody');
  if (!s.book) {
    body.innerHTML = '<tr><td colspan="4">waiting for the first re-anchor…</td></tr>';
    return;
  }
  $('book-id').textContent = `update ${s.book.updateId}${s.book.stale ? ` · STALE (${s.book.stale})` : ''}`;
  const rows = [];
  for (let i = 0; i < Math.max(s.book.bids.length, s.book.asks.length); i++) {
    const b = s.book.bids[i] ?? [];
    const a = s.book.asks[i] ?? [];
    rows.push(
      `<tr><td>${fmt(b[1], 5)}</td><td>${fmt(b[0])}</td><td>${fmt(a[0])}</td><td>${fmt(a[1], 5)}</td></tr>`,
    );
  }
  body.innerHTML = rows.join('');
}

function renderTrades(s) {
  $('trades').querySelector('tbody').innerHTML = s.trades
    .slice(0, 25)
    .map(
      (t) =>
        `<tr><td>${clock(t.timeMs)}</td><td class="${t.side}">${fmt(t.price)}</td><td>${fmt(t.qty, 5)}</td><td class="${t.side}">${t.side}</td></tr>`,
    )
    .join('');
}

function renderScore(s) {
  const r = s.score.rmseRatioVsRandomWalk;
  const verdict = r === null ? '' : r < 1 ? 'good' : 'bad';
  $('score').innerHTML = `
    <div class="big ${verdict}">${r === null ? '–' : fmt(r, 3)}</div>
    <div><span>RMSE ratio to a random walk (below 1 beats it)</span></div>
    <div>hit rate <b>${s.score.hitRate === null ? '–' : `${fmt(100 * s.score.hitRate, 1)}%`}</b></div>
    <div>predictions <b>${s.score.count}</b>, scored <b>${s.score.scored}</b></div>
    <div>served <b>${s.score.served ?? '–'}</b> <small>${s.score.model}</small></div>
    ${renderCandidates(s.score)}
    ${renderSwitches(s.score)}`;
}

// Every candidate's rolling out-of-sample score (and the venue oracle's: the limit on this market).
function renderCandidates(score) {
  const rows = Object.entries(score.candidates ?? {})
    .map(([name, c]) => {
      const r = c.rmseRatioVsRandomWalk;
      const cls = name === score.served ? 'served' : '';
      return `<tr class="${cls}"><td>${name}</td><td class="${r === null ? '' : r < 1 ? 'good' : 'bad'}">${r === null ? '–' : fmt(r, 3)}</td><td>${c.corr === null ? '–' : fmt(c.corr, 2)}</td><td>${c.hitRate === null ? '–' : fmt(100 * c.hitRate, 1)}</td><td>${c.tVsRandomWalk === null ? '–' : fmt(c.tVsRandomWalk, 1)}</td><td>${c.skillCaptured === null ? '–' : fmt(c.skillCaptured, 2)}</td><td>${c.n}</td></tr>`;
    })
    .join('');
  return rows
    ? `<table class="candidates"><thead><tr><th>candidate</th><th>RMSE ratio</th><th>corr</th><th>hit %</th><th>t vs RW</th><th>skill</th><th>n</th></tr></thead><tbody>${rows}</tbody></table>`
    : '';
}

// The served candidate over time: each switch with its reason.
function renderSwitches(score) {
  const items = (score.switches ?? [])
    .slice(-8)
    .reverse()
    .map(
      (e) => `<li><time>${clock(e.timeMs)}</time><b>${e.from} → ${e.to}</b> <small>${e.reason}</small></li>`,
    )
    .join('');
  return `<ol class="switches">${items || '<li>serving the random walk: no candidate beats it beyond noise yet</li>'}</ol>`;
}

function renderLatency(s) {
  $('latency').innerHTML = s.latency
    .map((h) => {
      const max = Math.max(1, ...h.buckets.map((b) => b.count));
      const bars = h.buckets
        .map((b) => `<div title="≤ ${b.leMs} ms: ${b.count}" style="height:${(100 * b.count) / max}%"></div>`)
        .join('');
      const axis = h.buckets
        .map((b) => `<span class="tick">${Number.isFinite(b.leMs) ? b.leMs : '∞'}</span>`)
        .join('');
      return `<div class="hop"><div class="name"><b>${h.name}</b><span>p50 ${fmt(h.p50Ms, 1)} · p99 ${fmt(h.p99Ms, 1)} ms · n ${h.samples}</span></div>
        <div class="bars">${bars}</div><div class="axis">${axis}</div></div>`;
    })
    .join('');
}

function renderTimeline(s) {
  $('timeline').innerHTML = s.timeline.length
    ? s.timeline
        .map(
          (e) =>
            `<li><time>${clock(e.timeMs)}</time><span class="kind k-${e.kind}">${e.kind}</span>${e.detail}</li>`,
        )
        .join('')
    : '<li>no gap so far</li>';
}

function render(s) {
  renderStatus(s);
  renderChart(s);
  renderBook(s);
  renderTrades(s);
  renderScore(s);
  renderLatency(s);
  renderTimeline(s);
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
}

const events = new EventSource('/events');
events.onmessage = (message) => render(JSON.parse(message.data));
fetch('/state')
  .then((r) => r.json())
  .then(render);
