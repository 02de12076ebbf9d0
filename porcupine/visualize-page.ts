/**
 * The visualization page: one HTML file with its CSS, script and data inline, so it opens
 * from disk, offline, years later. The script is plain ES5-ish JavaScript kept as a string;
 * it draws a block per partition, a track per client, a bar per operation.
 */
import type { PageData } from './visualize-data.ts';

/** The complete page for the data. */
export function renderPage(data: PageData): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    BODY,
    `<script id="porcupine-data" type="application/json">${embedJson(data)}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that cannot end its script element early: `<` becomes `\u003c` (so no `</script>`
 * or `<!--` inside), which JSON.parse reads back unchanged.
 */
function embedJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const STYLE = String.raw`
:root { --label-w: 190px; --row: 22px; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
  display: flex; flex-direction: column; height: 100vh; }
header { padding: 8px 12px; border-bottom: 1px solid #ccc; display: flex; flex-wrap: wrap;
  gap: 6px 14px; align-items: center; background: #fff; }
header h1 { font-size: 15px; margin: 0; }
button, select { font: inherit; padding: 1px 8px; }
.verdict { font-weight: 700; padding: 2px 8px; border-radius: 4px; }
.verdict.ok { background: #d4f4d4; color: #185c18; }
.verdict.illegal { background: #fbd5d5; color: #8a1010; }
.verdict.unknown { background: #f4ecc8; color: #6b5a10; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 4px; border: 1px solid; border-radius: 3px; font-size: 11px; }
#timeline { flex: 1; overflow: auto; position: relative; }
.content { position: relative; }
.row { display: flex; height: var(--row); }
.label { position: sticky; left: 0; z-index: 5; width: var(--label-w); flex: none; background: #fafafa;
  border-right: 1px solid #ddd; padding: 0 6px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; line-height: var(--row); }
.track { position: relative; flex: none; }
.axis { position: sticky; top: 0; z-index: 6; background: #fff; border-bottom: 1px solid #ccc; }
.axis .label { z-index: 7; font-weight: 600; }
.tick { position: absolute; top: 4px; font-size: 11px; color: #555; border-left: 1px solid #bbb;
  padding-left: 3px; height: 14px; white-space: nowrap; }
.annotations { border-bottom: 1px solid #ccc; background: #fff; }
.ann { position: absolute; top: 3px; height: calc(var(--row) - 6px); font-size: 11px; padding: 0 4px;
  border-radius: 3px; white-space: nowrap; line-height: calc(var(--row) - 8px); color: #fff; cursor: default;
  border: 1px solid rgba(0,0,0,.2); }
.ann.point { border-top-left-radius: 0; border-bottom-left-radius: 0; }
.kind-fault { background: #c62828; border-color: #c62828; }
.kind-check { background: #2463c9; border-color: #2463c9; }
.kind-other { background: #777; border-color: #777; }
.phead { background: #eef0f8; border-top: 1px solid #ccd; }
.phead .label { background: #e4e7f3; font-weight: 600; }
.phead.illegal .label { background: #f6d6d6; }
.phead .track { line-height: var(--row); padding-left: 6px; white-space: nowrap; }
.phead button { padding: 0 6px; margin-left: 6px; }
.partition { position: relative; }
.op { position: absolute; top: 3px; height: calc(var(--row) - 6px); border-radius: 3px; border: 1px solid;
  font-size: 11px; line-height: calc(var(--row) - 8px); padding: 0 3px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; cursor: pointer; }
.op.lin { background: #c9ecc9; border-color: #4a9a4a; }
.op.other { background: #e6e6e6; border-color: #aaa; color: #555; }
.op.never { background: #f5f5f5; border-color: #bbb; color: #888; border-style: dashed; }
.op.failed { background: #f8c4c4; border-color: #c22; color: #700; font-weight: 600; }
.op.open { border-right-style: dotted; }
.op.selected { outline: 2px solid #1a237e; z-index: 3; }
.op.pulse { animation: pulse 0.9s ease-in-out 4; z-index: 4; }
@keyframes pulse { 50% { box-shadow: 0 0 0 6px rgba(200, 30, 30, 0.5); } }
.pt { position: absolute; top: calc(var(--row) / 2 - 3px); width: 7px; height: 7px; margin-left: -3px;
  border-radius: 50%; background: #185c18; z-index: 2; pointer-events: none; }
.fail-line { position: absolute; top: 0; bottom: 0; border-left: 2px dashed #c22; pointer-events: none; z-index: 2; }
.guides { position: absolute; top: 0; bottom: 0; left: var(--label-w); pointer-events: none; z-index: 1; }
.guide { position: absolute; top: 0; bottom: 0; border-left: 1px solid; opacity: 0.35; }
.band { position: absolute; top: 0; bottom: 0; opacity: 0.07; }
#details { border-top: 1px solid #ccc; padding: 8px 12px; max-height: 30vh; overflow: auto; background: #fcfcfc; }
#details h2 { font-size: 14px; margin: 0 0 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
#details .meta { color: #555; }
#details .state { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-all;
  background: #f1f1f1; padding: 2px 4px; border-radius: 3px; }
#details .bad { color: #8a1010; font-weight: 600; }
`;

const BODY = String.raw`<header>
  <h1 id="title"></h1>
  <span id="verdict" class="verdict"></span>
  <span id="summary"></span>
  <button id="jump" type="button" title="Show where the linearization gets stuck (key: e)">Jump to first error</button>
  <label>time axis <select id="scale"><option value="compressed">compressed</option><option value="linear">linear</option></select></label>
  <span><button id="zoom-out" type="button" title="Zoom out">&minus;</button><button id="zoom-fit" type="button">fit</button><button id="zoom-in" type="button" title="Zoom in">+</button></span>
  <label><input id="only-illegal" type="checkbox"> only failing partitions</label>
  <span class="legend"><span style="background:#c9ecc9;border-color:#4a9a4a">linearized</span><span style="background:#e6e6e6;border-color:#aaa">in another partial linearization</span><span style="background:#f8c4c4;border-color:#c22">stuck here</span><span style="background:#f5f5f5;border-color:#bbb;border-style:dashed">never linearized</span></span>
</header>
<div id="timeline"></div>
<div id="details">Hover over an operation for its details. Click it to pin it and to show the longest partial linearization that contains it.</div>`;

const SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('porcupine-data').textContent);
  var text = data.strings;
  var ROW = 22, LABEL_W = 190, PAD_END = 80, MIN_BAR = 4;
  var view = { scale: 'compressed', zoom: 1, onlyIllegal: false, pinned: null };
  var timeline = document.getElementById('timeline');
  var details = document.getElementById('details');
  var blocks = [];

  data.partitions.forEach(function (p) { p.current = p.linearizations.length ? 0 : -1; });

  // Every distinct time, for the compressed axis: equal gaps between consecutive instants.
  var seen = new Set();
  data.partitions.forEach(function (p) {
    p.calls.forEach(function (t) { seen.add(t); });
    p.returns.forEach(function (t) { if (t !== null) seen.add(t); });
  });
  data.annotations.forEach(function (a) { seen.add(a.time); if (a.endTime !== null) seen.add(a.endTime); });
  var ticks = Array.from(seen).sort(function (a, b) { return a - b; });
  var tMin = ticks.length ? ticks[0] : 0;
  var tMax = ticks.length ? ticks[ticks.length - 1] : 1;
  var baseWidth = Math.max(400, ticks.length * 14);

  function width() { return Math.max(50, Math.round(baseWidth * view.zoom)); }
  function lowerBound(t) {
    var lo = 0, hi = ticks.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (ticks[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  // Time to pixels; null means "never returned" and lies past the end of the axis.
  function x(t) {
    var w = width();
    if (t === null) return w + PAD_END / 2;
    if (ticks.length < 2 || tMax === tMin) return 0;
    if (view.scale === 'linear') return (t - tMin) / (tMax - tMin) * w;
    var i = lowerBound(t);
    if (i >= ticks.length) return w;
    if (i === 0 || ticks[i] === t) return i / (ticks.length - 1) * w;
    var a = ticks[i - 1], b = ticks[i];
    return (i - 1 + (t - a) / (b - a)) / (ticks.length - 1) * w;
  }
  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }
  function showTime(t) { return t === null ? 'never' : String(t); }
  function kindClass(kind) { return kind === 'fault' || kind === 'check' ? 'kind-' + kind : 'kind-other'; }

  // What each operation is in the partition's shown linearization.
  function roles(p) {
    var n = p.calls.length, role = new Array(n), step = new Array(n), i;
    for (i = 0; i < n; i++) { role[i] = p.longestContaining[i] >= 0 ? 'other' : 'never'; step[i] = -1; }
    if (p.current >= 0) {
      p.linearizations[p.current].operations.forEach(function (op, k) { role[op] = 'lin'; step[op] = k; });
    }
    if (p.failedOperation >= 0 && role[p.failedOperation] !== 'lin') role[p.failedOperation] = 'failed';
    return { role: role, step: step };
  }
  // Where each linearized operation takes effect: inside its interval, never before the previous one.
  function points(p) {
    var result = [], last = -Infinity;
    if (p.current < 0) return result;
    p.linearizations[p.current].operations.forEach(function (op) {
      last = Math.max(last, p.calls[op]);
      result.push({ op: op, time: last });
    });
    return result;
  }
  function stateBefore(p, k) {
    if (k <= 0 || p.current < 0) return text[data.initialState];
    return text[p.linearizations[p.current].states[k - 1]];
  }

  function row(cls, label, trackWidth) {
    var r = el('div', 'row ' + cls);
    var l = el('div', 'label', label);
    l.title = label;
    var track = el('div', 'track');
    track.style.width = trackWidth + 'px';
    r.appendChild(l);
    r.appendChild(track);
    return { row: r, track: track };
  }

  function axisRow(w) {
    var r = row('axis', 'time', w + PAD_END);
    var lastX = -Infinity;
    ticks.forEach(function (t) {
      var px = x(t);
      if (px - lastX < 90) return;
      lastX = px;
      var tick = el('div', 'tick', String(t));
      tick.style.left = px + 'px';
      r.track.appendChild(tick);
    });
    if (data.partitions.some(function (p) { return p.returns.indexOf(null) >= 0; })) {
      var never = el('div', 'tick', 'never returned');
      never.style.left = (w + 8) + 'px';
      r.track.appendChild(never);
    }
    return r.row;
  }

  // Annotations in lanes, so that labels do not cover each other.
  function annotationRows(w) {
    var laneEnds = [], placed = [];
    data.annotations.map(function (a, i) { return i; })
      .sort(function (i, j) { return data.annotations[i].time - data.annotations[j].time; })
      .forEach(function (i) {
        var a = data.annotations[i];
        var left = x(a.time);
        var right = a.endTime !== null ? Math.max(x(a.endTime), left + 8) : left;
        var labelRight = Math.max(right, left + a.label.length * 6.5 + 12);
        var lane = 0;
        while (lane < laneEnds.length && laneEnds[lane] > left) lane++;
        laneEnds[lane] = labelRight + 4;
        placed.push({ a: a, i: i, lane: lane, left: left, right: right });
      });
    var lanes = Math.max(1, laneEnds.length);
    var r = row('annotations', 'faults and checks', w + PAD_END);
    r.row.style.height = (lanes * ROW) + 'px';
    placed.forEach(function (p) {
      var node = el('div', 'ann ' + kindClass(p.a.kind) + (p.a.endTime === null ? ' point' : ''), p.a.label);
      node.style.left = p.left + 'px';
      node.style.top = (p.lane * ROW + 3) + 'px';
      if (p.a.endTime !== null) node.style.width = Math.max(8, p.right - p.left) + 'px';
      node.dataset.annotation = String(p.i);
      r.track.appendChild(node);
    });
    return r.row;
  }

  function guides() {
    var layer = el('div', 'guides');
    data.annotations.forEach(function (a) {
      var g = el('div', 'guide ' + kindClass(a.kind));
      g.style.left = x(a.time) + 'px';
      g.style.background = 'transparent';
      layer.appendChild(g);
      if (a.endTime !== null) {
        var band = el('div', 'band ' + kindClass(a.kind));
        band.style.left = x(a.time) + 'px';
        band.style.width = Math.max(1, x(a.endTime) - x(a.time)) + 'px';
        layer.appendChild(band);
      }
    });
    return layer;
  }

  function partitionBlock(pi) {
    var p = data.partitions[pi], w = width();
    var block = el('div', 'partition');
    block.dataset.partition = String(pi);
    var r = roles(p);
    var lin = p.current >= 0 ? p.linearizations[p.current].operations.length : 0;
    var head = row('phead ' + p.result.toLowerCase(), text[p.label], w + PAD_END);
    var summary = p.result + ' · ' + p.calls.length + ' operations · shown linearization covers ' + lin;
    if (p.linearizations.length > 1) summary += ' (partial linearization ' + (p.current + 1) + ' of ' + p.linearizations.length + ')';
    head.track.appendChild(el('span', '', summary));
    if (p.linearizations.length > 1) {
      var prev = el('button', '', 'previous'), next = el('button', '', 'next');
      prev.type = next.type = 'button';
      prev.onclick = function () { cycle(pi, -1); };
      next.onclick = function () { cycle(pi, 1); };
      head.track.appendChild(prev);
      head.track.appendChild(next);
    }
    block.appendChild(head.row);

    var clients = Array.from(new Set(p.clients)).sort(function (a, b) { return a - b; });
    var tracks = {};
    clients.forEach(function (c) {
      var cr = row('client', 'client ' + c, w + PAD_END);
      tracks[c] = cr.track;
      block.appendChild(cr.row);
    });
    for (var i = 0; i < p.calls.length; i++) {
      var left = x(p.calls[i]), right = x(p.returns[i]);
      var label = (r.step[i] >= 0 ? '#' + (r.step[i] + 1) + ' ' : '') + text[p.descriptions[i]];
      var bar = el('div', 'op ' + r.role[i] + (p.returns[i] === null ? ' open' : ''), label);
      bar.id = 'op-' + pi + '-' + i;
      bar.style.left = left + 'px';
      bar.style.width = Math.max(MIN_BAR, right - left) + 'px';
      bar.dataset.partition = String(pi);
      bar.dataset.op = String(i);
      if (view.pinned && view.pinned.pi === pi && view.pinned.i === i) bar.classList.add('selected');
      tracks[p.clients[i]].appendChild(bar);
    }
    points(p).forEach(function (pt, k) {
      var dot = el('div', 'pt');
      dot.style.left = x(pt.time) + 'px';
      dot.title = '#' + (k + 1);
      tracks[p.clients[pt.op]].appendChild(dot);
    });
    if (p.failedOperation >= 0 && r.role[p.failedOperation] === 'failed') {
      var line = el('div', 'fail-line');
      line.style.left = (LABEL_W + x(p.returns[p.failedOperation])) + 'px';
      line.title = 'the linearization gets stuck here';
      block.appendChild(line);
    }
    return block;
  }

  function render() {
    var scrollLeft = timeline.scrollLeft, scrollTop = timeline.scrollTop;
    timeline.textContent = '';
    var w = width();
    var content = el('div', 'content');
    content.style.width = (LABEL_W + w + PAD_END) + 'px';
    content.appendChild(axisRow(w));
    if (data.annotations.length) content.appendChild(annotationRows(w));
    blocks = [];
    data.partitions.forEach(function (p, pi) {
      if (view.onlyIllegal && p.result !== 'Illegal') { blocks.push(null); return; }
      var block = partitionBlock(pi);
      blocks.push(block);
      content.appendChild(block);
    });
    if (data.annotations.length) content.appendChild(guides());
    timeline.appendChild(content);
    timeline.scrollLeft = scrollLeft;
    timeline.scrollTop = scrollTop;
  }
  function rerenderPartition(pi) {
    if (!blocks[pi]) return render();
    var block = partitionBlock(pi);
    blocks[pi].replaceWith(block);
    blocks[pi] = block;
  }
  function cycle(pi, delta) {
    var p = data.partitions[pi], n = p.linearizations.length;
    p.current = (p.current + delta + n) % n;
    rerenderPartition(pi);
  }

  function line(parent, label, value, cls) {
    var div = el('div', 'meta');
    div.appendChild(document.createTextNode(label));
    if (value !== undefined) div.appendChild(el('span', cls || 'state', value));
    parent.appendChild(div);
  }
  function showOperation(pi, i) {
    var p = data.partitions[pi], r = roles(p);
    details.textContent = '';
    details.appendChild(el('h2', '', text[p.descriptions[i]]));
    line(details, 'client ' + p.clients[i] + ' · ' + text[p.label] + ' · call ' + showTime(p.calls[i]) +
      ' · return ' + showTime(p.returns[i]));
    var shown = p.current >= 0 ? p.linearizations[p.current].operations.length : 0;
    if (r.role[i] === 'lin') {
      line(details, 'step ' + (r.step[i] + 1) + ' of ' + shown + ' in the shown linearization; state before: ',
        stateBefore(p, r.step[i]));
      line(details, 'state after: ', text[p.linearizations[p.current].states[r.step[i]]]);
    } else if (r.role[i] === 'failed') {
      var stuck = el('div', 'bad', 'The linearization gets stuck here: this operation must take effect before it ' +
        'returns, and no order of the operations left lets it.');
      details.appendChild(stuck);
      line(details, 'state after the ' + shown + ' linearized operations: ', stateBefore(p, shown));
    } else if (r.role[i] === 'other') {
      var longest = p.linearizations[p.longestContaining[i]].operations.length;
      line(details, 'Not in the shown linearization. Click to show the longest one containing it (' + longest +
        ' operations).');
    } else {
      line(details, 'No partial linearization found contains this operation.');
    }
  }
  function showAnnotation(i) {
    var a = data.annotations[i];
    details.textContent = '';
    details.appendChild(el('h2', '', a.label));
    line(details, a.kind + ' · ' + (a.endTime !== null ? 'from ' + a.time + ' to ' + a.endTime : 'at ' + a.time));
    if (a.description) details.appendChild(el('div', 'state', a.description));
  }
  function showPinned() {
    if (view.pinned) showOperation(view.pinned.pi, view.pinned.i);
  }
  function pin(pi, i) {
    var old = view.pinned;
    view.pinned = { pi: pi, i: i };
    var p = data.partitions[pi];
    if (p.longestContaining[i] >= 0) p.current = p.longestContaining[i];
    if (old && old.pi !== pi) rerenderPartition(old.pi);
    rerenderPartition(pi);
    showOperation(pi, i);
  }

  timeline.addEventListener('mouseover', function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.dataset.op !== undefined) showOperation(+target.dataset.partition, +target.dataset.op);
    else if (target.dataset.annotation !== undefined) showAnnotation(+target.dataset.annotation);
  });
  timeline.addEventListener('mouseleave', showPinned);
  timeline.addEventListener('click', function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.dataset.op !== undefined) pin(+target.dataset.partition, +target.dataset.op);
  });

  function firstError() {
    var best = null;
    data.partitions.forEach(function (p, pi) {
      if (p.result !== 'Illegal' || p.failedOperation < 0) return;
      var t = p.returns[p.failedOperation];
      var when = t === null ? Infinity : t;
      if (best === null || when < best.when) best = { pi: pi, i: p.failedOperation, when: when };
    });
    return best;
  }
  function jumpToFirstError() {
    var error = firstError();
    if (!error) return;
    var p = data.partitions[error.pi];
    p.current = p.linearizations.length ? 0 : -1;
    view.pinned = { pi: error.pi, i: error.i };
    if (!blocks[error.pi]) render(); else rerenderPartition(error.pi);
    showOperation(error.pi, error.i);
    var bar = document.getElementById('op-' + error.pi + '-' + error.i);
    if (bar) {
      bar.scrollIntoView({ block: 'center', inline: 'center' });
      bar.classList.add('pulse');
    }
  }

  function fitZoom() {
    var available = Math.max(200, timeline.clientWidth - LABEL_W - PAD_END - 20);
    view.zoom = available / baseWidth;
  }

  document.getElementById('title').textContent = data.title;
  var verdict = document.getElementById('verdict');
  verdict.textContent = data.result;
  verdict.className = 'verdict ' + data.result.toLowerCase();
  var operationCount = data.partitions.reduce(function (n, p) { return n + p.calls.length; }, 0);
  var failing = data.partitions.filter(function (p) { return p.result === 'Illegal'; }).length;
  document.getElementById('summary').textContent = operationCount + ' operations in ' + data.partitions.length +
    ' partitions' + (failing ? ', ' + failing + ' not linearizable' : '') +
    (data.annotations.length ? ', ' + data.annotations.length + ' annotations' : '');
  var jump = document.getElementById('jump');
  if (!firstError()) { jump.disabled = true; jump.title = 'Every partition is linearizable (or unchecked)'; }
  jump.onclick = jumpToFirstError;
  document.addEventListener('keydown', function (event) {
    if (event.key === 'e' && !event.ctrlKey && !event.metaKey && !event.altKey) jumpToFirstError();
  });
  document.getElementById('scale').onchange = function (event) { view.scale = event.target.value; render(); };
  document.getElementById('zoom-in').onclick = function () { view.zoom *= 1.5; render(); };
  document.getElementById('zoom-out').onclick = function () { view.zoom /= 1.5; render(); };
  document.getElementById('zoom-fit').onclick = function () { fitZoom(); render(); };
  document.getElementById('only-illegal').onchange = function (event) { view.onlyIllegal = event.target.checked; render(); };

  if (baseWidth < timeline.clientWidth - LABEL_W - PAD_END) fitZoom();
  render();
})();
`;
