/**
 * The trace page: one self-contained HTML file (inline CSS and script, the trace embedded as
 * JSON, nothing fetched) that opens from disk, offline. It draws on one <canvas>: a lane per
 * server with its role band (follower, candidate, leader, dead) and term, its log and apply
 * progress, the messages between lanes, faults and checker steps on one virtual-time axis.
 *
 * It stays usable on a 100 000-event trace because nothing is a DOM node per event: the
 * script turns the events into sorted typed arrays once, draws only what falls in the visible
 * time window (binary search on start times, a bound on the longest arrow), merges markers
 * that land on the same pixel, and hit-tests a click the same way.
 *
 * The script publishes a frozen read-only summary of each draw as `window.__traceView`
 * (lanes, counts of what was drawn, the failure marker's position, the selection, and
 * `locate(eventIndex)`), which the browser test reads.
 */
import { writeFileSync } from 'node:fs';
import type { Trace } from './types.ts';

/** The complete page for `trace`. */
export function renderTraceHtml(trace: Trace): string {
  const title = typeof trace.meta.test === 'string' && trace.meta.test !== '' ? `trace: ${trace.meta.test}` : 'raftlab trace';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${style}</style>`,
    '</head>',
    '<body>',
    body,
    `<script id="trace-data" type="application/json">${embedJson(trace)}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes the page for `trace` to `path`. */
export function writeTraceHtml(trace: Trace, path: string): void {
  writeFileSync(path, renderTraceHtml(trace), 'utf8');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that cannot end its script element early: every `<` becomes `\u003c` (so no
 * `</script>` or `<!--` inside), which JSON.parse reads back unchanged; likewise the two
 * line separators that old parsers choke on.
 */
function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const style = String.raw`
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; display: flex; flex-direction: column; }
header { padding: 6px 10px; border-bottom: 1px solid #ccc; display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; }
header h1 { font-size: 15px; margin: 0; }
#meta { color: #555; }
#dropped { color: #8a5a00; font-weight: 600; }
button { font: inherit; padding: 1px 8px; cursor: pointer; }
#fail-btn { background: #c62828; color: #fff; border: 1px solid #8e0000; border-radius: 4px; font-weight: 600; }
#filters { padding: 4px 10px; border-bottom: 1px solid #ddd; display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 12px; background: #fafafa; }
#filters fieldset { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 2px 8px; align-items: center; }
#filters legend { float: left; font-weight: 600; margin-right: 4px; padding: 0; }
#filters label { white-space: nowrap; }
.chip { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: -1px; margin-right: 2px; }
#main { flex: 1; display: flex; min-height: 0; }
#left { flex: 1; display: flex; flex-direction: column; min-width: 0; }
#wrap { flex: 1; position: relative; overflow-y: auto; overflow-x: hidden; min-height: 0; }
#cv { display: block; cursor: grab; }
#cv.dragging { cursor: grabbing; }
#status { font: 12px ui-monospace, Menlo, Consolas, monospace; padding: 3px 10px; border-top: 1px solid #ddd; background: #fafafa; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-height: 22px; }
#panel { width: 340px; border-left: 1px solid #ccc; overflow: auto; padding: 8px 10px; background: #fcfcfc; font-size: 12px; }
#panel h2 { font-size: 14px; margin: 0 0 6px; }
#panel table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
#panel td, #panel th { text-align: left; padding: 1px 4px; border-bottom: 1px solid #eee; vertical-align: top; }
#panel th { color: #555; font-weight: 600; white-space: nowrap; }
#panel pre { white-space: pre-wrap; word-break: break-word; background: #f1f1f1; padding: 4px; border-radius: 3px; margin: 4px 0; font-size: 11px; }
#panel .bad { color: #b71c1c; font-weight: 600; }
#panel .ok { color: #1b5e20; font-weight: 600; }
#panel .logs div { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; white-space: pre-wrap; word-break: break-word; border-bottom: 1px dotted #e4e4e4; }
#panel .logs .here { background: #fff3c4; }
#legend { padding: 3px 10px; font-size: 11px; color: #444; border-top: 1px solid #ddd; display: flex; flex-wrap: wrap; gap: 2px 12px; }
.help { color: #666; }
`;

const body = String.raw`<header>
  <h1 id="title"></h1>
  <span id="meta"></span>
  <span id="dropped"></span>
  <button id="fail-btn" type="button" hidden title="Centre the view on the moment the failure was detected (key: f)"></button>
  <span><button id="zoom-out" type="button" title="Zoom out (key: -)">&minus;</button><button id="zoom-fit" type="button" title="Show the whole run (key: 0)">fit</button><button id="zoom-in" type="button" title="Zoom in (key: +)">+</button></span>
  <span class="help">wheel: zoom · drag: pan · click: details</span>
</header>
<div id="filters">
  <fieldset id="f-servers"><legend>Lanes</legend></fieldset>
  <fieldset id="f-rpcs"><legend>RPCs</legend></fieldset>
  <fieldset id="f-show"><legend>Show</legend></fieldset>
</div>
<div id="main">
  <div id="left">
    <div id="wrap"><canvas id="cv"></canvas></div>
    <div id="status"></div>
  </div>
  <aside id="panel"><h2>Details</h2><p>Click a message, a marker or a role band for its details.</p></aside>
</div>
<div id="legend"></div>`;

/**
 * The page script, plain modern JavaScript kept as a string (it runs in the browser, not in
 * Node). No backquotes or dollar-brace sequences inside: this is a template literal.
 */
const script = String.raw`
(function () {
  'use strict';
  var startedAt = performance.now();
  var T = JSON.parse(document.getElementById('trace-data').textContent);
  var parsedAt = performance.now();
  var meta = T.meta || {};
  var E = T.events || [];
  var i, j, e;

  // ---------- time order (the recorder writes in order; be safe with hand-made traces) ----------
  for (i = 1; i < E.length; i++) if (E[i].t < E[i - 1].t) break;
  if (i < E.length) {
    E = E.map(function (ev, k) { return [ev, k]; })
      .sort(function (a, b) { return a[0].t - b[0].t || a[1] - b[1]; })
      .map(function (p) { return p[0]; });
  }
  var N = E.length;
  var tMin = N ? Math.min(0, E[0].t) : 0;
  var tMax = N ? E[N - 1].t : 1;
  if (!(tMax > tMin)) tMax = tMin + 1;

  // ---------- parties: servers (numbers) first, then other callers (clerks...) by name ----------
  // Keys: the number itself for servers, 's:' + name for other parties (no string work per event for servers).
  function pkey(p) { return typeof p === 'number' ? p : 's:' + p; }
  var partySet = new Map();
  function notePart(p) { if (p !== undefined && p !== null) { var k = pkey(p); if (!partySet.has(k)) partySet.set(k, p); } }
  if (typeof meta.servers === 'number') for (i = 0; i < meta.servers; i++) notePart(i);
  for (i = 0; i < N; i++) { e = E[i]; notePart(e.s); notePart(e.to); }
  var parties = Array.from(partySet.values()).sort(function (a, b) {
    if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
    return typeof a === 'number' ? a - b : String(a) < String(b) ? -1 : 1;
  });
  var P = parties.length;
  var TESTER = P; // the tester lane, below the others
  var partyIndex = new Map();
  parties.forEach(function (p, k) { partyIndex.set(pkey(p), k); });
  function pidx(p) { if (p === undefined || p === null) return -1; var k = partyIndex.get(pkey(p)); return k === undefined ? -1 : k; }
  function plabel(k) { if (k === TESTER) return 'tester'; if (k < 0) return '?'; var p = parties[k]; return typeof p === 'number' ? 'S' + p : String(p); }

  // ---------- methods (RPC types) ----------
  var methods = [], methodIndex = new Map(), methodCount = [];
  function midx(m) { var k = methodIndex.get(m); if (k === undefined) { k = methods.length; methods.push(m); methodIndex.set(m, k); methodCount.push(0); } return k; }
  var knownColors = { AppendEntries: '#1e88e5', RequestVote: '#8e24aa', InstallSnapshot: '#00897b', Get: '#6d4c41', PutAppend: '#5d4037' };
  var palette = ['#3949ab', '#00acc1', '#7cb342', '#f4511e', '#6d4c41', '#546e7a', '#d81b60', '#5e35b1'];
  function shortMethod(m) { var d = m.lastIndexOf('.'); return d < 0 ? m : m.slice(d + 1); }
  var methodColor = [];

  // ---------- one pass over the events ----------
  var ROLE_COLOR = { unknown: '#eceff1', follower: '#b0bec5', candidate: '#ffca28', leader: '#2e7d32', dead: '#212121' };
  var segs = [], cand = [], disc = [], progS = [], progA = [], logsOf = [], cur = [];
  for (i = 0; i <= P; i++) {
    segs.push([]); cand.push([]); disc.push([]); progS.push({ t: [], v: [] }); progA.push({ t: [], v: [] }); logsOf.push([]);
    cur.push({ role: 'unknown', term: null, t0: tMin, dead: false, discT: null, ev: -1 });
  }
  function setRole(p, t, role, term, ev) {
    var c = cur[p];
    if (c.role === role && c.term === term) return;
    if (t > c.t0) segs[p].push({ t0: c.t0, t1: t, role: c.role, term: c.term, ev: c.ev });
    c.role = role; c.term = term; c.t0 = t; c.ev = ev;
  }
  // Markers: kinds and the row of the lane they sit on.
  var MK = { crash: 0, restart: 1, connect: 2, disconnect: 3, start: 4, apply: 5, snap: 6, snapshot: 7, log: 8, check: 9, checkbad: 10, net: 11, partition: 12, failure: 13 };
  var MK_NAMES = ['crash', 'restart', 'connect', 'disconnect', 'start', 'apply', 'apply snapshot', 'snapshot', 'log', 'check', 'check failed', 'net', 'partition', 'failure'];
  var MK_COLOR = ['#c62828', '#2e7d32', '#1565c0', '#757575', '#1e88e5', '#43a047', '#6a1b9a', '#8e24aa', '#9e9e9e', '#2e7d32', '#c62828', '#ef6c00', '#ef6c00', '#b71c1c'];
  var NK = MK_NAMES.length;
  var mT = [], mP = [], mK = [], mE = [];
  function mark(t, p, k, ev) { mT.push(t); mP.push(p); mK.push(k); mE.push(ev); }
  var recs = [], recOf = new Map();
  var evRec = new Int32Array(N).fill(-1);
  var failures = [];
  var maxIndex = 1;
  for (i = 0; i < N; i++) {
    e = E[i];
    var p = pidx(e.s);
    switch (e.k) {
      case 'rpc': {
        var r = recOf.get(e.id);
        if (r === undefined) { r = { ix: recs.length, id: e.id, m: midx(e.method), a: -1, b: -1, sent: null, del: null, done: null, rep: null, end: null, fate: null, delay: null, evs: [] }; recOf.set(e.id, r); recs.push(r); methodCount[r.m]++; }
        if (r.a < 0) r.a = p;
        if (r.b < 0) r.b = pidx(e.to);
        r.evs.push(i); evRec[i] = r.ix;
        switch (e.fate) {
          case 'sent': r.sent = e.t; break;
          case 'delivered': r.del = e.t; break;
          case 'request-dropped': case 'unreachable': case 'server-dead': r.fate = e.fate; r.end = e.t; break;
          case 'reply-delayed': r.done = e.t; r.delay = e.delayMs; break;
          case 'reply-dropped': r.fate = e.fate; r.done = e.t; r.end = e.t; break;
          case 'replied': r.fate = 'replied'; r.rep = e.t; r.end = e.t; if (r.done === null) r.done = e.t; break;
        }
        break;
      }
      case 'state': if (p >= 0 && !cur[p].dead) setRole(p, e.t, e.role, e.term, i); break;
      case 'crash': if (p >= 0) { setRole(p, e.t, 'dead', cur[p].term, i); cur[p].dead = true; } mark(e.t, p, MK.crash, i); break;
      case 'restart': if (p >= 0) { cur[p].dead = false; setRole(p, e.t, 'follower', cur[p].term, i); } mark(e.t, p, MK.restart, i); break;
      case 'disconnect': if (p >= 0 && cur[p].discT === null) cur[p].discT = e.t; mark(e.t, p, MK.disconnect, i); break;
      case 'connect': if (p >= 0 && cur[p].discT !== null) { disc[p].push([cur[p].discT, e.t]); cur[p].discT = null; } mark(e.t, p, MK.connect, i); break;
      case 'start': if (p >= 0) { progS[p].t.push(e.t); progS[p].v.push(e.index); } if (e.index > maxIndex) maxIndex = e.index; mark(e.t, p, MK.start, i); break;
      case 'apply': if (p >= 0) { progA[p].t.push(e.t); progA[p].v.push(e.index); } if (e.index > maxIndex) maxIndex = e.index; mark(e.t, p, e.snap ? MK.snap : MK.apply, i); break;
      case 'snapshot': mark(e.t, p, MK.snapshot, i); break;
      case 'log': if (p >= 0) logsOf[p].push(i); else logsOf[TESTER].push(i); mark(e.t, p >= 0 ? p : TESTER, MK.log, i); break;
      case 'check': mark(e.t, TESTER, e.ok ? MK.check : MK.checkbad, i); break;
      case 'net': mark(e.t, TESTER, MK.net, i); break;
      case 'partition': mark(e.t, TESTER, MK.partition, i); break;
      case 'failure': failures.push(i); mark(e.t, TESTER, MK.failure, i); break;
    }
  }
  for (i = 0; i < P; i++) {
    var c0 = cur[i];
    if (tMax > c0.t0) segs[i].push({ t0: c0.t0, t1: tMax, role: c0.role, term: c0.term, ev: c0.ev });
    if (c0.discT !== null) disc[i].push([c0.discT, tMax]);
  }
  methods.forEach(function (m, k) { methodColor.push(knownColors[shortMethod(m)] || palette[k % palette.length]); });
  // markers not tied to a known lane go to the tester lane
  for (i = 0; i < mP.length; i++) if (mP[i] < 0) mP[i] = TESTER;
  var markT = Float64Array.from(mT), markP = Int32Array.from(mP), markK = Uint8Array.from(mK), markE = Int32Array.from(mE);
  var M = markT.length;
  var evMark = new Int32Array(N).fill(-1);
  for (i = 0; i < M; i++) evMark[markE[i]] = i;

  // ---------- arrows, one per leg of each RPC ----------
  // styles: 0 request, 1 reply, 2 reply delayed, 3 dropped, 4 unreachable
  var ST_REQ = 0, ST_REP = 1, ST_DELAY = 2, ST_DROP = 3, ST_UNREACH = 4;
  var ST_NAMES = ['request', 'reply', 'reply delayed', 'dropped', 'unreachable'];
  var arr = [];
  for (i = 0; i < recs.length; i++) {
    var rr = recs[i];
    if (rr.a < 0) continue;
    if (rr.sent !== null && rr.del !== null && rr.b >= 0) arr.push([rr.sent, rr.del, rr.a, rr.b, 0, ST_REQ, i]);
    if (rr.sent !== null && (rr.fate === 'request-dropped' || rr.fate === 'unreachable')) arr.push([rr.sent, rr.end, rr.a, rr.b, 1, rr.fate === 'unreachable' ? ST_UNREACH : ST_DROP, i]);
    if (rr.fate === 'server-dead' && rr.b >= 0) arr.push([rr.end, rr.end, rr.b, rr.a, 1, ST_DROP, i]);
    if (rr.fate === 'reply-dropped' && rr.b >= 0) arr.push([rr.done, rr.done, rr.b, rr.a, 1, ST_DROP, i]);
    if (rr.fate === 'replied' && rr.b >= 0) arr.push([rr.delay !== null ? rr.done : rr.rep, rr.rep, rr.b, rr.a, 0, rr.delay !== null ? ST_DELAY : ST_REP, i]);
  }
  arr.sort(function (x, y) { return x[0] - y[0]; });
  var A = arr.length;
  var aT0 = new Float64Array(A), aT1 = new Float64Array(A), aA = new Int32Array(A), aB = new Int32Array(A), aMid = new Uint8Array(A), aSt = new Uint8Array(A), aR = new Int32Array(A);
  var maxDur = 0;
  var recArrow = new Int32Array(recs.length).fill(-1);
  var recArrows = [];
  for (i = 0; i < recs.length; i++) recArrows.push(null);
  for (i = 0; i < A; i++) {
    var x = arr[i];
    aT0[i] = x[0]; aT1[i] = x[1]; aA[i] = x[2]; aB[i] = x[3]; aMid[i] = x[4]; aSt[i] = x[5]; aR[i] = x[6];
    if (x[1] - x[0] > maxDur) maxDur = x[1] - x[0];
    if (recArrow[x[6]] < 0) { recArrow[x[6]] = i; recArrows[x[6]] = [i]; } else recArrows[x[6]].push(i);
  }
  arr = null;
  // candidate intervals: while a server is asking for votes
  for (i = 0; i < recs.length; i++) {
    var rv = recs[i];
    if (rv.a < 0 || rv.a >= P || rv.sent === null || shortMethod(methods[rv.m]) !== 'RequestVote') continue;
    var endT = rv.end !== null ? rv.end : rv.del !== null ? rv.del : rv.sent;
    var list = cand[rv.a], last = list[list.length - 1];
    if (last && rv.sent <= last[1]) { if (endT > last[1]) last[1] = endT; } else list.push([rv.sent, endT]);
  }

  // ---------- search helpers ----------
  function lowerBound(a, t, n) { var lo = 0, hi = n === undefined ? a.length : n; while (lo < hi) { var mid = (lo + hi) >> 1; if (a[mid] < t) lo = mid + 1; else hi = mid; } return lo; }
  function segAt(list, t) { var lo = 0, hi = list.length; while (lo < hi) { var mid = (lo + hi) >> 1; if (list[mid].t1 <= t) lo = mid + 1; else hi = mid; } return lo; }
  function valueAt(series, t) { var k = lowerBound(series.t, t + 1e-9) - 1; return k >= 0 ? series.v[k] : null; }

  // ---------- UI state ----------
  var cv = document.getElementById('cv'), ctx = cv.getContext('2d'), wrap = document.getElementById('wrap');
  var panel = document.getElementById('panel'), statusEl = document.getElementById('status');
  var laneOn = []; for (i = 0; i <= P; i++) laneOn.push(true);
  var methodOn = methods.map(function () { return true; });
  var show = { logs: true, progress: true, replies: true, checks: true };
  var v0 = tMin, v1 = tMax + (tMax - tMin) * 0.02;
  var LABEL_W = 64, AXIS_H = 22, TESTER_H = 40;
  var W = 0, H = 0, CH = 0, laneH = 60, laneY = [];
  var selected = null; // {type: 'mark'|'arrow'|'seg', ...}
  var highlightUntil = 0, highlightT = null;
  var drawCount = 0, firstDrawAt = null, clicks = 0, lastDrawMs = 0;
  var drawn = { arrows: 0, arrowsInView: 0, markers: 0, segments: 0, failure: null, arrowsByStyle: [0, 0, 0, 0, 0] };

  function px(t) { return LABEL_W + (t - v0) / (v1 - v0) * (W - LABEL_W); }
  function tAt(x) { return v0 + (x - LABEL_W) / (W - LABEL_W) * (v1 - v0); }

  function layout() {
    W = Math.max(200, wrap.clientWidth);
    H = Math.max(160, wrap.clientHeight);
    var vis = 0; for (i = 0; i < P; i++) if (laneOn[i]) vis++;
    laneH = Math.max(52, Math.min(120, Math.floor((H - AXIS_H - TESTER_H - 8) / Math.max(1, vis))));
    var y = AXIS_H;
    laneY = [];
    for (i = 0; i < P; i++) { if (laneOn[i]) { laneY.push(y); y += laneH; } else laneY.push(-1); }
    laneY.push(laneOn[TESTER] ? y : -1);
    if (laneOn[TESTER]) y += TESTER_H;
    CH = Math.max(H, y + 4);
    var dpr = window.devicePixelRatio || 1;
    cv.width = Math.round(W * dpr); cv.height = Math.round(CH * dpr);
    cv.style.width = W + 'px'; cv.style.height = CH + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
  function laneH_(p) { return p === TESTER ? TESTER_H : laneH; }
  function midY(p) { return laneY[p] + (p === TESTER ? TESTER_H / 2 : laneH * 0.5); }
  function bandY(p) { return laneY[p] + 3; }
  var BAND_H = 11;
  function logY(p) { return p === TESTER ? laneY[p] + 8 : laneY[p] + BAND_H + 9; }
  function progH() { return Math.max(8, Math.round(laneH * 0.2)); }
  function progRowY(p) { return laneY[p] + laneH - progH() - 7; }
  function markY(p, k) {
    if (p === TESTER) return k === MK.log ? logY(p) : midY(p) + 4;
    if (k <= MK.disconnect) return bandY(p) + BAND_H / 2;
    if (k === MK.log) return logY(p);
    return progRowY(p);
  }
  function markVisible(k) {
    if (k === MK.log) return show.logs;
    if (k >= MK.start && k <= MK.snapshot) return show.progress;
    if (k === MK.check || k === MK.net || k === MK.partition) return show.checks;
    return true;
  }
  function arrowVisible(k) {
    if (!methodOn[recs[aR[k]].m]) return false;
    if (!show.replies && (aSt[k] === ST_REP || aSt[k] === ST_DELAY)) return false;
    return laneY[aA[k]] >= 0 && (aMid[k] ? true : laneY[aB[k]] >= 0);
  }
  function arrowEnds(k, out) {
    var a = aA[k], b = aB[k];
    out[0] = px(aT0[k]); out[1] = midY(a); out[2] = px(aT1[k]);
    if (aMid[k]) {
      var yb = b >= 0 && laneY[b] >= 0 ? midY(b) : midY(a) + laneH * 0.8;
      out[3] = (out[1] + yb) / 2;
      if (out[2] - out[0] < 8) out[2] = out[0] + 8; // a drop with no duration still shows as a stub
    } else out[3] = midY(b);
    return out;
  }

  // ---------- drawing ----------
  var pending = false;
  function requestDraw() { if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); } }
  function niceStep(raw) { var p10 = Math.pow(10, Math.floor(Math.log10(raw))); var f = raw / p10; return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p10; }
  function fmtT(t, step) {
    if (step === undefined) step = 1;
    if (Math.abs(t) >= 1000 && step >= 1) { var dec = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3; return (t / 1000).toFixed(dec) + ' s'; }
    return (step >= 1 ? t.toFixed(0) : t.toFixed(Math.min(3, Math.ceil(-Math.log10(step))))) + ' ms';
  }
  function fmtMs(t) { return (t % 1 === 0 ? String(t) : t.toFixed(3).replace(/\.?0+$/, '')) + ' ms'; }

  function draw() {
    var t0 = performance.now();
    drawCount++;
    ctx.clearRect(0, 0, W, CH);
    var plotW = W - LABEL_W;
    var xEnd = px(tMax);
    // lanes
    for (var p = 0; p <= P; p++) {
      if (laneY[p] < 0) continue;
      var y = laneY[p], h = laneH_(p);
      ctx.fillStyle = p === TESTER ? '#f3f4f8' : p % 2 ? '#fbfbfb' : '#ffffff';
      ctx.fillRect(0, y, W, h);
      ctx.strokeStyle = '#e0e0e0'; ctx.beginPath(); ctx.moveTo(0, y + h - 0.5); ctx.lineTo(W, y + h - 0.5); ctx.stroke();
    }
    // time grid and axis
    var step = niceStep((v1 - v0) / Math.max(2, plotW / 110));
    var tick = Math.ceil(v0 / step) * step;
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, W, AXIS_H);
    for (var guard = 0; tick <= v1 && guard < 1000; tick += step, guard++) {
      var gx = Math.round(px(tick)) + 0.5;
      ctx.strokeStyle = '#eeeeee'; ctx.beginPath(); ctx.moveTo(gx, AXIS_H); ctx.lineTo(gx, CH); ctx.stroke();
      ctx.strokeStyle = '#999'; ctx.beginPath(); ctx.moveTo(gx, AXIS_H - 6); ctx.lineTo(gx, AXIS_H); ctx.stroke();
      ctx.fillStyle = '#444'; ctx.fillText(fmtT(tick, step), gx + 3, AXIS_H / 2);
    }
    ctx.strokeStyle = '#bbb'; ctx.beginPath(); ctx.moveTo(0, AXIS_H - 0.5); ctx.lineTo(W, AXIS_H - 0.5); ctx.stroke();

    ctx.save();
    ctx.beginPath(); ctx.rect(LABEL_W, AXIS_H, plotW, CH - AXIS_H); ctx.clip();
    // after the end of the trace: grey
    if (xEnd < W) { ctx.fillStyle = 'rgba(0,0,0,0.05)'; ctx.fillRect(xEnd, AXIS_H, W - xEnd, CH); }
    var segCount = 0;
    for (p = 0; p < P; p++) {
      if (laneY[p] < 0) continue;
      var ly = laneY[p];
      // disconnected: a pale red wash over the lane
      var dl = disc[p];
      ctx.fillStyle = 'rgba(229,57,53,0.08)';
      for (j = 0; j < dl.length; j++) if (dl[j][1] >= v0 && dl[j][0] <= v1) ctx.fillRect(px(dl[j][0]), ly, Math.max(1, px(dl[j][1]) - px(dl[j][0])), laneH - 1);
      // Clerks and other callers have no role and no log: their lane only carries messages.
      if (typeof parties[p] !== 'number') continue;
      // role band: base roles, then candidacies, then leaders and dead on top
      var sl = segs[p], by = bandY(p);
      var k0 = segAt(sl, v0);
      for (var pass = 0; pass < 2; pass++) {
        for (j = k0; j < sl.length && sl[j].t0 <= v1; j++) {
          var sg = sl[j];
          var top = sg.role === 'leader' || sg.role === 'dead';
          if ((pass === 0) === top) continue;
          var sx0 = Math.max(LABEL_W - 2, px(sg.t0)), sx1 = Math.min(W + 2, px(sg.t1));
          if (sx1 - sx0 < 0.3 && pass === 0) continue;
          ctx.fillStyle = ROLE_COLOR[sg.role] || '#eceff1';
          ctx.fillRect(sx0, by, Math.max(1, sx1 - sx0), BAND_H);
          segCount++;
        }
        if (pass === 0) {
          var cl = cand[p];
          ctx.fillStyle = ROLE_COLOR.candidate;
          for (j = 0; j < cl.length; j++) if (cl[j][1] >= v0 && cl[j][0] <= v1) ctx.fillRect(px(cl[j][0]), by, Math.max(1.5, px(cl[j][1]) - px(cl[j][0])), BAND_H);
        }
      }
      // term labels where they fit
      ctx.font = '9px system-ui, sans-serif';
      var lastX = -1e9;
      for (j = k0; j < sl.length && sl[j].t0 <= v1; j++) {
        var s2 = sl[j];
        if (s2.term === null || s2.term === undefined) continue;
        var lx = Math.max(LABEL_W + 1, px(s2.t0) + 2);
        var wseg = px(s2.t1) - lx;
        if (wseg < 22 || lx < lastX + 26) continue;
        ctx.fillStyle = s2.role === 'leader' || s2.role === 'dead' ? '#fff' : '#263238';
        ctx.fillText((s2.role === 'dead' ? 'dead ' : '') + 'T' + s2.term, lx, by + BAND_H / 2 + 0.5);
        lastX = lx;
      }
      // log and apply progress: two step lines in the lane's bottom strip
      if (show.progress) {
        var gh = progH(), gy = laneY[p] + laneH - gh - 2;
        ctx.fillStyle = 'rgba(0,0,0,0.03)'; ctx.fillRect(LABEL_W, gy, plotW, gh);
        drawSteps(progS[p], gy, gh, '#1e88e5', 1.2);
        drawSteps(progA[p], gy, gh, '#43a047', 1.6);
      }
    }
    drawn.segments = segCount;

    // arrows, batched by style
    // Zoomed out, thousands of arrows fall on the same pixels (a heartbeat every few ms);
    // each is drawn once, since rasterizing them all costs the browser seconds.
    var aCount = 0, inView = 0, byStyle = [0, 0, 0, 0, 0];
    var kStart = lowerBound(aT0, v0 - maxDur - 1e-9, A);
    var kEnd = lowerBound(aT0, v1 + 1e-9, A);
    var pts = [[], [], [], [], []]; // per style: flat x0,y0,x1,y1,m
    var q = [0, 0, 0, 0];
    var merge = kEnd - kStart > 2000 ? new Set() : null;
    for (var k = kStart; k < kEnd; k++) {
      if (aT1[k] < v0) continue;
      if (!arrowVisible(k)) continue;
      arrowEnds(k, q);
      inView++;
      if (merge !== null) {
        var key = aSt[k] + ':' + recs[aR[k]].m + ':' + Math.round(q[0]) + ':' + Math.round(q[1]) + ':' + Math.round(q[2]) + ':' + Math.round(q[3]);
        if (merge.has(key)) continue;
        merge.add(key);
      }
      pts[aSt[k]].push(q[0], q[1], q[2], q[3], recs[aR[k]].m);
      aCount++; byStyle[aSt[k]]++;
    }
    drawn.arrowsInView = inView;
    var heads = aCount < 6000;
    // requests and plain replies: one path per method colour
    for (var st = 0; st < 5; st++) {
      var list2 = pts[st];
      if (!list2.length) continue;
      if (st === ST_REQ || st === ST_REP) {
        var byM = {};
        for (j = 0; j < list2.length; j += 5) { var mm = list2[j + 4]; (byM[mm] = byM[mm] || []).push(j); }
        for (var mk in byM) {
          ctx.strokeStyle = methodColor[mk];
          ctx.globalAlpha = st === ST_REQ ? 0.85 : 0.35;
          ctx.lineWidth = st === ST_REQ ? 1.2 : 1;
          ctx.setLineDash([]);
          ctx.beginPath();
          var ix = byM[mk];
          for (var z = 0; z < ix.length; z++) segment(list2, ix[z], heads);
          ctx.stroke();
        }
      } else {
        ctx.globalAlpha = st === ST_UNREACH ? 0.6 : 0.9;
        ctx.strokeStyle = st === ST_DELAY ? '#fb8c00' : st === ST_DROP ? '#e53935' : '#9e9e9e';
        ctx.lineWidth = st === ST_DELAY ? 1.4 : 1.2;
        ctx.setLineDash(st === ST_DELAY ? [] : [4, 3]);
        ctx.beginPath();
        for (j = 0; j < list2.length; j += 5) segment(list2, j, heads && st === ST_DELAY);
        ctx.stroke();
        if (st !== ST_DELAY) {
          ctx.setLineDash([]); ctx.lineWidth = 1.6; ctx.beginPath();
          for (j = 0; j < list2.length; j += 5) cross(list2[j + 2], list2[j + 3], 3.5);
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1; ctx.setLineDash([]); ctx.lineWidth = 1;
    drawn.arrows = aCount; drawn.arrowsByStyle = byStyle;

    // markers: culled by time, merged when several of one kind land on the same pixel of a lane
    var mCount = 0;
    var lastPx = new Float64Array((P + 1) * NK).fill(-1e9);
    var m0 = lowerBound(markT, v0 - 1e-9, M), m1 = lowerBound(markT, v1 + 1e-9, M);
    ctx.font = '10px system-ui, sans-serif';
    for (k = m0; k < m1; k++) {
      var mp = markP[k], kind = markK[k];
      if (laneY[mp] < 0 || !markVisible(kind)) continue;
      var mx = px(markT[k]);
      var slot = mp * NK + kind;
      if (mx - lastPx[slot] < 1) continue;
      lastPx[slot] = mx;
      drawMarker(mx, mp, kind, markE[k]);
      mCount++;
    }
    drawn.markers = mCount;

    // failure: a dashed red line across every lane at the moment it was detected
    drawn.failure = null;
    for (j = 0; j < failures.length; j++) {
      var ft = E[failures[j]].t, fx = px(ft);
      var fvis = fx >= LABEL_W && fx <= W;
      if (fvis) {
        ctx.strokeStyle = '#b71c1c'; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
        ctx.beginPath(); ctx.moveTo(fx, AXIS_H); ctx.lineTo(fx, CH); ctx.stroke(); ctx.setLineDash([]); ctx.lineWidth = 1;
        if (laneY[TESTER] >= 0) {
          var fy = markY(TESTER, MK.failure);
          ctx.fillStyle = '#b71c1c'; ctx.beginPath(); ctx.moveTo(fx, fy - 9); ctx.lineTo(fx + 14, fy - 4); ctx.lineTo(fx, fy + 1); ctx.closePath(); ctx.fill();
        }
      }
      if (j === 0) drawn.failure = { t: ft, x: fx, y: laneY[TESTER] >= 0 ? markY(TESTER, MK.failure) : AXIS_H + 4, visible: fvis, event: failures[j] };
    }
    // highlight after "jump to failure"
    if (highlightT !== null && performance.now() < highlightUntil) {
      var hx = px(highlightT), phase = (performance.now() / 120) % 2 < 1;
      ctx.fillStyle = phase ? 'rgba(229,57,53,0.22)' : 'rgba(229,57,53,0.10)';
      ctx.fillRect(hx - 10, AXIS_H, 20, CH - AXIS_H);
      requestDraw();
    }
    drawSelection();
    ctx.restore();

    // lane labels
    for (p = 0; p <= P; p++) {
      if (laneY[p] < 0) continue;
      ctx.fillStyle = p === TESTER ? '#e8eaf2' : '#f5f5f5';
      ctx.fillRect(0, laneY[p], LABEL_W, laneH_(p) - 1);
      ctx.fillStyle = '#222'; ctx.font = 'bold 13px system-ui, sans-serif'; ctx.textBaseline = 'middle';
      ctx.fillText(plabel(p), 8, laneY[p] + 12);
      if (p < P && show.progress && typeof parties[p] === 'number') {
        ctx.font = '9px system-ui, sans-serif';
        ctx.fillStyle = '#1e88e5'; ctx.fillText('log', 8, laneY[p] + laneH - 18);
        ctx.fillStyle = '#43a047'; ctx.fillText('applied', 26, laneY[p] + laneH - 18);
      }
    }
    ctx.strokeStyle = '#ccc'; ctx.beginPath(); ctx.moveTo(LABEL_W - 0.5, 0); ctx.lineTo(LABEL_W - 0.5, CH); ctx.stroke();

    lastDrawMs = performance.now() - t0;
    if (firstDrawAt === null) firstDrawAt = performance.now();
    publish();
  }

  function segment(list, j, head) {
    var x0 = list[j], y0 = list[j + 1], x1 = list[j + 2], y1 = list[j + 3];
    ctx.moveTo(x0, y0); ctx.lineTo(x1, y1);
    if (head) {
      var dx = x1 - x0, dy = y1 - y0, len = Math.sqrt(dx * dx + dy * dy);
      if (len > 12) {
        var ux = dx / len, uy = dy / len, hs = 5;
        ctx.moveTo(x1, y1); ctx.lineTo(x1 - hs * ux - hs * 0.5 * uy, y1 - hs * uy + hs * 0.5 * ux);
        ctx.moveTo(x1, y1); ctx.lineTo(x1 - hs * ux + hs * 0.5 * uy, y1 - hs * uy - hs * 0.5 * ux);
      }
    }
  }
  function cross(x, y, r) { ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r); }

  function drawSteps(series, gy, gh, color, width) {
    var n = series.t.length;
    if (!n) return;
    var a = Math.max(0, lowerBound(series.t, v0) - 1), b = Math.min(n, lowerBound(series.t, v1) + 1);
    var yOf = function (v) { return gy + gh - 1 - (v / maxIndex) * (gh - 2); };
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
    var prevX = px(series.t[a]), prevY = yOf(series.v[a]);
    ctx.moveTo(prevX, prevY);
    for (var k = a + 1; k < b; k++) {
      var x = px(series.t[k]), y = yOf(series.v[k]);
      if (x - prevX < 0.5 && k + 1 < b) { continue; }
      ctx.lineTo(x, prevY); ctx.lineTo(x, y);
      prevX = x; prevY = y;
    }
    ctx.lineTo(Math.min(px(tMax), W), prevY);
    ctx.stroke(); ctx.lineWidth = 1;
  }

  function drawMarker(x, p, kind, ev) {
    var y = markY(p, kind);
    ctx.fillStyle = MK_COLOR[kind]; ctx.strokeStyle = MK_COLOR[kind];
    if (kind <= MK.disconnect) {
      // faults: a line across the lane and a glyph on the role band
      ctx.lineWidth = kind === MK.crash ? 2 : 1.5;
      ctx.setLineDash(kind === MK.disconnect || kind === MK.connect ? [3, 2] : []);
      ctx.beginPath(); ctx.moveTo(x, laneY[p]); ctx.lineTo(x, laneY[p] + laneH - 1); ctx.stroke();
      ctx.setLineDash([]); ctx.lineWidth = 1;
      ctx.beginPath();
      if (kind === MK.crash) { ctx.fillStyle = '#fff'; ctx.fillRect(x - 5, y - 5, 10, 10); ctx.strokeStyle = MK_COLOR[kind]; ctx.lineWidth = 2; cross(x, y, 4); ctx.stroke(); ctx.lineWidth = 1; }
      else if (kind === MK.restart) { ctx.moveTo(x - 5, y + 5); ctx.lineTo(x + 5, y + 5); ctx.lineTo(x, y - 5); ctx.closePath(); ctx.fill(); }
      else { ctx.arc(x, y, 4.5, 0, 6.2832); ctx.fillStyle = '#fff'; ctx.fill(); ctx.stroke(); if (kind === MK.disconnect) { ctx.beginPath(); ctx.moveTo(x - 3, y + 3); ctx.lineTo(x + 3, y - 3); ctx.stroke(); } else { ctx.beginPath(); ctx.moveTo(x - 3, y); ctx.lineTo(x + 3, y); ctx.moveTo(x, y - 3); ctx.lineTo(x, y + 3); ctx.stroke(); } }
      return;
    }
    switch (kind) {
      case MK.start: ctx.beginPath(); ctx.moveTo(x, y - 4); ctx.lineTo(x + 4, y + 3); ctx.lineTo(x - 4, y + 3); ctx.closePath(); ctx.fill(); break;
      case MK.apply: ctx.fillRect(x - 1, y - 4, 2, 8); break;
      case MK.snap: case MK.snapshot: ctx.fillRect(x - 3.5, y - 3.5, 7, 7); break;
      case MK.log: ctx.fillRect(x - 1.5, y - 1.5, 3, 3); break;
      case MK.check: case MK.checkbad: ctx.beginPath(); ctx.moveTo(x, y - 6); ctx.lineTo(x + 5, y); ctx.lineTo(x, y + 6); ctx.lineTo(x - 5, y); ctx.closePath(); ctx.fill(); break;
      case MK.net: case MK.partition: ctx.fillRect(x - 1, y - 10, 2, 16); ctx.fillRect(x - 4, y - 10, 8, 3); break;
      case MK.failure: ctx.beginPath(); ctx.arc(x, y, 6, 0, 6.2832); ctx.fill(); break;
    }
  }

  function drawSelection() {
    if (!selected) return;
    ctx.strokeStyle = '#ffab00'; ctx.lineWidth = 4; ctx.globalAlpha = 0.8;
    if (selected.type === 'mark') {
      var k = selected.index;
      if (laneY[markP[k]] < 0) { ctx.globalAlpha = 1; ctx.lineWidth = 1; return; }
      ctx.beginPath(); ctx.arc(px(markT[k]), markY(markP[k], markK[k]), 9, 0, 6.2832); ctx.stroke();
    } else if (selected.type === 'arrow') {
      var legs = recArrows[aR[selected.index]], q2 = [0, 0, 0, 0];
      ctx.beginPath();
      for (var a = 0; a < legs.length; a++) if (arrowVisible(legs[a])) { arrowEnds(legs[a], q2); ctx.moveTo(q2[0], q2[1]); ctx.lineTo(q2[2], q2[3]); }
      ctx.stroke();
    } else if (selected.type === 'seg') {
      var sg = segs[selected.lane][selected.index];
      ctx.strokeRect(px(sg.t0), bandY(selected.lane) - 2, px(sg.t1) - px(sg.t0), BAND_H + 4);
    }
    ctx.globalAlpha = 1; ctx.lineWidth = 1;
  }

  // ---------- the debug view, for tests and the curious ----------
  var rect = { left: 0, top: 0 };
  function publish() {
    var r = cv.getBoundingClientRect();
    rect = { left: r.left, top: r.top };
    var lanes = [];
    for (var p = 0; p <= P; p++) lanes.push(Object.freeze({ label: plabel(p), visible: laneY[p] >= 0, y: laneY[p], height: laneH_(p), midY: laneY[p] >= 0 ? midY(p) : -1, bandY: laneY[p] >= 0 ? bandY(p) : -1, bandHeight: BAND_H }));
    var f = drawn.failure;
    var view = Object.freeze({
      ready: true,
      drawCount: drawCount,
      firstDrawAt: firstDrawAt,
      timings: Object.freeze({ scriptStart: startedAt, parseMs: parsedAt - startedAt, buildMs: builtAt - parsedAt }),
      lastDrawMs: lastDrawMs,
      clicks: clicks,
      events: N,
      view: Object.freeze({ t0: v0, t1: v1 }),
      tEnd: tMax,
      canvas: Object.freeze({ left: r.left, top: r.top, width: W, height: CH, labelWidth: LABEL_W }),
      lanes: Object.freeze(lanes),
      drawnArrows: drawn.arrows,
      arrowsInView: drawn.arrowsInView,
      drawnArrowsByStyle: Object.freeze({ request: drawn.arrowsByStyle[0], reply: drawn.arrowsByStyle[1], delayed: drawn.arrowsByStyle[2], dropped: drawn.arrowsByStyle[3], unreachable: drawn.arrowsByStyle[4] }),
      drawnMarkers: drawn.markers,
      drawnSegments: drawn.segments,
      failureMarker: f ? Object.freeze({ t: f.t, x: f.x, y: f.y, clientX: f.x + r.left, clientY: f.y + r.top, visible: f.visible, event: f.event }) : null,
      highlight: highlightT,
      selected: selected ? Object.freeze({ type: selected.type, index: selected.index, event: selectedEvent() }) : null,
      locate: locate,
    });
    Object.defineProperty(window, '__traceView', { value: view, configurable: true, writable: false });
  }
  function selectedEvent() {
    if (!selected) return -1;
    if (selected.type === 'mark') return markE[selected.index];
    if (selected.type === 'arrow') return recs[aR[selected.index]].evs[0];
    return segs[selected.lane][selected.index].ev;
  }
  /** Where event i is drawn now, in client (page) coordinates; null when off screen or hidden. */
  function locate(ev) {
    var r = cv.getBoundingClientRect(), x, y;
    var k = evMark[ev];
    if (k >= 0) {
      if (laneY[markP[k]] < 0 || !markVisible(markK[k])) return null;
      x = px(markT[k]); y = markY(markP[k], markK[k]);
    } else if (evRec[ev] >= 0 && recArrow[evRec[ev]] >= 0) {
      var a = recArrow[evRec[ev]];
      if (!arrowVisible(a)) return null;
      var q3 = arrowEnds(a, [0, 0, 0, 0]);
      x = (q3[0] + q3[2]) / 2; y = (q3[1] + q3[3]) / 2;
    } else return null;
    if (x < LABEL_W || x > W) return null;
    return { x: x, y: y, clientX: x + r.left, clientY: y + r.top };
  }

  // ---------- hit testing ----------
  function hit(x, y) {
    var tol = 7, best = null, bestD = tol + 1;
    var t = tAt(x), dt = tol * (v1 - v0) / (W - LABEL_W);
    var m0 = lowerBound(markT, t - dt - 1e-9, M), m1 = lowerBound(markT, t + dt + 1e-9, M);
    for (var k = m0; k < m1; k++) {
      if (laneY[markP[k]] < 0 || !markVisible(markK[k])) continue;
      var dx = px(markT[k]) - x, dy = markY(markP[k], markK[k]) - y;
      if (markK[k] <= MK.disconnect && Math.abs(dx) <= 3 && y >= laneY[markP[k]] && y <= laneY[markP[k]] + laneH) dy = Math.min(Math.abs(dy), 3);
      var d = Math.sqrt(dx * dx + dy * dy);
      if (d < bestD) { bestD = d; best = { type: 'mark', index: k }; }
    }
    if (best) return best;
    var k0 = lowerBound(aT0, t - maxDur - dt - 1e-9, A), k1 = lowerBound(aT0, t + dt + 1e-9, A), q = [0, 0, 0, 0];
    bestD = 5.5;
    for (k = k0; k < k1; k++) {
      if (aT1[k] < t - dt || !arrowVisible(k)) continue;
      arrowEnds(k, q);
      var d2 = distSeg(x, y, q[0], q[1], q[2], q[3]);
      if (d2 < bestD) { bestD = d2; best = { type: 'arrow', index: k }; }
    }
    if (best) return best;
    for (var p = 0; p < P; p++) {
      if (laneY[p] < 0) continue;
      var by = bandY(p);
      if (y >= by - 2 && y <= by + BAND_H + 2) {
        var sl = segs[p], s = segAt(sl, t);
        if (s < sl.length && sl[s].t0 <= t) return { type: 'seg', lane: p, index: s };
      }
    }
    return null;
  }
  function distSeg(x, y, x0, y0, x1, y1) {
    var dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy;
    var u = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / l2));
    var ex = x0 + u * dx - x, ey = y0 + u * dy - y;
    return Math.sqrt(ex * ex + ey * ey);
  }

  // ---------- details panel ----------
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  function row(k, v) { return '<tr><th>' + esc(k) + '</th><td>' + v + '</td></tr>'; }
  function serverName(s) { return s === undefined ? '?' : typeof s === 'number' ? 'S' + s : String(s); }
  function showDetails(sel) {
    var html = '';
    if (!sel) { panel.innerHTML = '<h2>Details</h2><p>Nothing here. Click a message, a marker or a role band.</p>'; return; }
    if (sel.type === 'arrow') {
      var r = recs[aR[sel.index]];
      var ok = r.fate === 'replied';
      html += '<h2>' + esc(shortMethod(methods[r.m])) + ' #' + r.id + '</h2>';
      html += '<table>' + row('RPC', esc(methods[r.m])) + row('from', esc(plabel(r.a))) + row('to', esc(plabel(r.b)));
      html += row('outcome', '<span class="' + (ok ? 'ok' : 'bad') + '">' + esc(r.fate || 'in flight at the end of the trace') + '</span>');
      if (r.sent !== null && r.end !== null) html += row('round trip', esc(fmtMs(r.end - r.sent)));
      html += '</table><table><tr><th>time</th><th>step</th><th>bytes</th><th>delay</th></tr>';
      for (var k = 0; k < r.evs.length; k++) { var st = E[r.evs[k]]; html += '<tr><td>' + esc(fmtMs(st.t)) + '</td><td>' + esc(st.fate) + '</td><td>' + (st.bytes !== undefined ? st.bytes : '') + '</td><td>' + (st.delayMs !== undefined ? esc(fmtMs(st.delayMs)) : '') + '</td></tr>'; }
      html += '</table>';
      html += nearbyLogs(r.a, r.sent !== null ? r.sent : E[r.evs[0]].t) + (r.b >= 0 ? nearbyLogs(r.b, r.del !== null ? r.del : E[r.evs[0]].t) : '');
    } else if (sel.type === 'seg') {
      var sg = segs[sel.lane][sel.index];
      html += '<h2>' + esc(plabel(sel.lane)) + ': ' + esc(sg.role) + '</h2><table>' + row('term', esc(sg.term === null ? 'unknown' : sg.term)) + row('from', esc(fmtMs(sg.t0))) + row('to', esc(fmtMs(sg.t1))) + row('for', esc(fmtMs(sg.t1 - sg.t0))) + '</table>';
      if (cand[sel.lane].length) html += '<p>Yellow stretches: the server was sending RequestVote (a candidate).</p>';
      html += nearbyLogs(sel.lane, sg.t0);
    } else {
      var ev = E[markE[sel.index]], ix = markE[sel.index];
      html += '<h2>' + esc(MK_NAMES[markK[sel.index]]) + (ev.s !== undefined ? ' · ' + esc(serverName(ev.s)) : '') + '</h2><table>' + row('time', esc(fmtMs(ev.t))) + row('event', '#' + ix);
      for (var key in ev) {
        if (key === 't' || key === 'k' || key === 's') continue;
        var val = ev[key];
        if (key === 'message' || key === 'detail' || key === 'text') html += row(key, '<pre>' + esc(val) + '</pre>');
        else if (key === 'ok') html += row('ok', val ? '<span class="ok">yes</span>' : '<span class="bad">no</span>');
        else html += row(key, esc(typeof val === 'object' ? JSON.stringify(val) : val));
      }
      html += '</table>';
      if (ev.k === 'failure') html += '<p class="bad">The test failed here. Look left of this line for what led to it.</p>';
      var lane = markP[sel.index];
      html += nearbyLogs(lane, ev.t);
    }
    panel.innerHTML = html;
  }
  function nearbyLogs(p, t) {
    if (p < 0 || p > P) return '';
    var list = logsOf[p];
    if (!list.length) return '';
    var lo = 0, hi = list.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (E[list[mid]].t < t) lo = mid + 1; else hi = mid; }
    var a = Math.max(0, lo - 5), b = Math.min(list.length, lo + 5);
    var html = '<div class="logs"><b>' + esc(plabel(p)) + ' log around ' + esc(fmtMs(t)) + '</b>';
    for (var k = a; k < b; k++) { var ev = E[list[k]]; html += '<div' + (k === lo ? ' class="here"' : '') + '>' + esc(fmtMs(ev.t)) + ' ' + esc(ev.text) + '</div>'; }
    return html + '</div>';
  }

  // ---------- status line: what the lane under the cursor was at that moment ----------
  function statusAt(x, y) {
    if (x < LABEL_W) { statusEl.textContent = ''; return; }
    var t = tAt(x), text = 't = ' + fmtMs(Math.round(t * 1000) / 1000);
    for (var p = 0; p < P; p++) {
      if (laneY[p] < 0 || y < laneY[p] || y >= laneY[p] + laneH) continue;
      var sl = segs[p], s = segAt(sl, t);
      var sg = s < sl.length && sl[s].t0 <= t ? sl[s] : null;
      text += ' · ' + plabel(p) + ': ' + (sg ? sg.role + (sg.term !== null ? ' term ' + sg.term : '') : 'no state');
      var ls = valueAt(progS[p], t), la = valueAt(progA[p], t);
      if (ls !== null) text += ' · last Start ' + ls;
      if (la !== null) text += ' · applied ' + la;
    }
    statusEl.textContent = text;
  }

  // ---------- view changes ----------
  function setView(a, b) {
    var span = b - a, full = (tMax - tMin) * 1.5 + 1;
    if (span < 0.05) { var c = (a + b) / 2; a = c - 0.025; b = c + 0.025; }
    if (span > full) { a = tMin - (tMax - tMin) * 0.25; b = a + full; }
    v0 = a; v1 = b; requestDraw();
  }
  function zoomAround(t, factor) { setView(t - (t - v0) * factor, t + (v1 - t) * factor); }
  function fit() { setView(tMin, tMax + (tMax - tMin) * 0.02); }
  function jumpToFailure() {
    if (!failures.length) return;
    var ft = E[failures[0]].t, span = Math.min(v1 - v0, Math.max(200, (tMax - tMin) / 8));
    setView(ft - span / 2, ft + span / 2);
    highlightT = ft; highlightUntil = performance.now() + 1600;
    selected = { type: 'mark', index: evMark[failures[0]] };
    showDetails(selected);
    requestDraw();
  }

  // ---------- input ----------
  var drag = null;
  cv.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var dy = ev.deltaMode === 1 ? ev.deltaY * 30 : ev.deltaMode === 2 ? ev.deltaY * 300 : ev.deltaY;
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(dy)) { var d = (ev.shiftKey ? dy : ev.deltaX) * (v1 - v0) / (W - LABEL_W); setView(v0 + d, v1 + d); return; }
    zoomAround(tAt(Math.max(LABEL_W, ev.offsetX)), Math.exp(dy * 0.0015));
  }, { passive: false });
  cv.addEventListener('mousedown', function (ev) { if (ev.button !== 0) return; drag = { x: ev.clientX, v0: v0, v1: v1, moved: false }; });
  window.addEventListener('mousemove', function (ev) {
    if (drag) {
      var dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; cv.classList.add('dragging'); }
      if (drag.moved) { var d = -dx * (drag.v1 - drag.v0) / (W - LABEL_W); v0 = drag.v0 + d; v1 = drag.v1 + d; requestDraw(); }
      return;
    }
    if (ev.target === cv) statusAt(ev.offsetX, ev.offsetY);
  });
  window.addEventListener('mouseup', function (ev) {
    if (!drag) return;
    var wasDrag = drag.moved;
    drag = null; cv.classList.remove('dragging');
    if (wasDrag || ev.target !== cv) return;
    var r = cv.getBoundingClientRect();
    selected = hit(ev.clientX - r.left, ev.clientY - r.top);
    clicks++;
    showDetails(selected);
    requestDraw();
  });
  window.addEventListener('keydown', function (ev) {
    if (ev.target && ev.target.tagName === 'INPUT') return;
    var span = v1 - v0, c = (v0 + v1) / 2;
    if (ev.key === 'f') jumpToFailure();
    else if (ev.key === '0') fit();
    else if (ev.key === '+' || ev.key === '=') zoomAround(c, 0.7);
    else if (ev.key === '-') zoomAround(c, 1 / 0.7);
    else if (ev.key === 'ArrowLeft') setView(v0 - span * 0.2, v1 - span * 0.2);
    else if (ev.key === 'ArrowRight') setView(v0 + span * 0.2, v1 + span * 0.2);
  });
  document.getElementById('zoom-in').onclick = function () { zoomAround((v0 + v1) / 2, 0.7); };
  document.getElementById('zoom-out').onclick = function () { zoomAround((v0 + v1) / 2, 1 / 0.7); };
  document.getElementById('zoom-fit').onclick = fit;
  var failBtn = document.getElementById('fail-btn');
  if (failures.length) {
    var fe = E[failures[0]];
    failBtn.hidden = false;
    failBtn.textContent = '\u2716 failed: ' + fe.check + ' at ' + fmtMs(fe.t) + ' \u2192';
    failBtn.title = fe.message;
    failBtn.onclick = jumpToFailure;
  }

  // ---------- header, filters, legend ----------
  document.getElementById('title').textContent = meta.test ? String(meta.test) : 'raftlab trace';
  var metaBits = [];
  if (meta.seed !== undefined) metaBits.push('seed ' + meta.seed);
  if (meta.mode !== undefined) metaBits.push(meta.mode + ' time');
  metaBits.push(N + ' events');
  metaBits.push(fmtMs(tMax) + ' of run');
  document.getElementById('meta').textContent = metaBits.join(' · ');
  if (T.droppedEvents > 0) document.getElementById('dropped').textContent = '\u26a0 the ' + T.droppedEvents + ' oldest events were dropped (the recorder keeps the last ' + T.maxEvents + ')';
  function checkbox(parent, label, checked, color, onChange) {
    var l = document.createElement('label');
    var b = document.createElement('input'); b.type = 'checkbox'; b.checked = checked;
    b.addEventListener('change', function () { onChange(b.checked); });
    l.appendChild(b);
    if (color) { var c = document.createElement('span'); c.className = 'chip'; c.style.background = color; l.appendChild(c); }
    l.appendChild(document.createTextNode(label));
    parent.appendChild(l);
    return b;
  }
  var fs = document.getElementById('f-servers');
  for (i = 0; i <= P; i++) (function (p) { checkbox(fs, plabel(p), true, null, function (on) { laneOn[p] = on; layout(); requestDraw(); }).dataset.lane = String(p); })(i);
  var fr = document.getElementById('f-rpcs');
  methods.forEach(function (m, k) { checkbox(fr, shortMethod(m) + ' (' + methodCount[k] + ')', true, methodColor[k], function (on) { methodOn[k] = on; requestDraw(); }).dataset.method = m; });
  if (!methods.length) fr.appendChild(document.createTextNode('none recorded'));
  var fsh = document.getElementById('f-show');
  checkbox(fsh, 'replies', true, null, function (on) { show.replies = on; requestDraw(); });
  checkbox(fsh, 'log lines', true, null, function (on) { show.logs = on; requestDraw(); });
  checkbox(fsh, 'Start / apply', true, null, function (on) { show.progress = on; requestDraw(); });
  checkbox(fsh, 'checks & network', true, null, function (on) { show.checks = on; requestDraw(); });
  var lg = document.getElementById('legend');
  function chip(color, text, style) { var s = document.createElement('span'); s.innerHTML = '<span class="chip" style="background:' + color + ';' + (style || '') + '"></span>' + esc(text); lg.appendChild(s); }
  chip(ROLE_COLOR.follower, 'follower'); chip(ROLE_COLOR.candidate, 'candidate (sending RequestVote)'); chip(ROLE_COLOR.leader, 'leader'); chip(ROLE_COLOR.dead, 'crashed'); chip(ROLE_COLOR.unknown, 'no state sampled yet');
  chip('rgba(229,57,53,0.25)', 'disconnected');
  chip('#e53935', 'dropped (dashed, ends in \u00d7)'); chip('#9e9e9e', 'unreachable (dashed grey)'); chip('#fb8c00', 'reply delayed'); chip('#1e88e5', 'log: last Start index'); chip('#43a047', 'applied index');
  chip('#2e7d32', 'check ok (\u25c6)'); chip('#c62828', 'check failed / crash'); chip('#b71c1c', 'failure (dashed red line)');

  // ---------- go ----------
  var builtAt = performance.now();
  layout();
  draw();
  var ro = new ResizeObserver(function () { layout(); requestDraw(); });
  ro.observe(wrap);
})();
`;
