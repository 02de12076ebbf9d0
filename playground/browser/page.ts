/**
 * The playground page: draws the frames of the run that its Web Worker plays, and turns the
 * user's clicks into actions. Going back in time starts a fresh worker that replays the run
 * from its seed (with the same actions at the same points) to the wanted instant. A worker
 * that stops answering (student code in a loop that never yields) is ended and reported.
 */
import type { Action, ActionBody, Flight, Frame, FromWorker, KvOpName, KvProbe, Mark, RunConfig, Target, ToWorker } from '../engine/protocol.ts';
import { findScene, scenes } from '../engine/scenes.ts';
import type { Trace } from '../../trace/types.ts';
import { Renderer } from './render.ts';
import { TracePlayer } from './trace-player.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** The stage's top canvas: it takes the clicks (render.ts puts the other layers under it). */
const canvas = $<HTMLCanvasElement>('cv');

/** A worker silent for this long while it should answer is stuck in student code. */
const hangLimitMs = 2000;
const pingEveryMs = 250;

/** What tests and scripts can read (never write) of the page. */
interface PlaygroundView {
  ready: boolean;
  config: RunConfig;
  frame: Frame | undefined;
  paused: boolean;
  playing: boolean;
  marks: Mark[];
  actions: Action[];
  codeVersion: number;
  workerStarts: number;
  /** Wall time (performance.now) when the current worker sent its first frame. */
  firstFrameAt: number;
  /** Frames drawn in the last full second. */
  fps: number;
  /** Mean time of one draw, ms (recent frames). */
  drawMs: number;
  /** The layers the last animation frame redrew (render.ts), comma-separated. */
  layersDrawn: string;
  /** Whether this build's key/value service can run (undefined until the probe answers). */
  kvProbe: KvProbe | undefined;
  hung: boolean;
  ended: Extract<FromWorker, { type: 'ended' }> | undefined;
  maxTimeMs: number;
  buildErrors: string[];
  /** Paused copies of the run kept for going back in time: [instant, ready]. */
  checkpoints: [number, boolean][];
}

const view: PlaygroundView = {
  ready: false,
  config: readConfig(),
  frame: undefined,
  paused: true,
  playing: false,
  marks: [],
  actions: readActions(),
  codeVersion: 0,
  workerStarts: 0,
  firstFrameAt: 0,
  fps: 0,
  drawMs: 0,
  layersDrawn: '',
  kvProbe: undefined,
  hung: false,
  ended: undefined,
  maxTimeMs: 0,
  buildErrors: [],
  checkpoints: [],
};
(window as unknown as { __playground: PlaygroundView }).__playground = view;

// ---------------------------------------------------------------------------------------
// Settings in the URL: a link reproduces the run.

function readConfig(): RunConfig {
  const q = new URLSearchParams(location.search);
  const num = (k: string, d: number): number => {
    const v = Number(q.get(k));
    return q.get(k) === null || !Number.isFinite(v) ? d : v;
  };
  const scene = q.get('scene') ?? 'election';
  return {
    seed: q.get('seed') ?? String(Math.floor(Math.random() * 1e6)),
    scene: scenes.some((s) => s.id === scene) ? scene : 'election',
    servers: Math.min(7, Math.max(3, Math.round(num('servers', 5)))),
    dropRate: Math.min(0.5, Math.max(0, num('drop', 0))),
    delayMinMs: Math.max(0, num('dmin', 10)),
    delayMaxMs: Math.max(0, num('dmax', 30)),
  };
}

/** Actions in the URL: `a=crash.2@513,cut.0.1@800,submit.x%3D1@900`. */
function readActions(): Action[] {
  const text = new URLSearchParams(location.search).get('a');
  if (text === null || text === '') return [];
  const out: Action[] = [];
  for (const part of text.split(',')) {
    const [body, at] = part.split('@');
    const atEvent = Number(at);
    const [kind, ...args] = (body ?? '').split('.');
    if (!Number.isInteger(atEvent)) continue;
    const n = args.map(Number);
    if ((kind === 'crash' || kind === 'restart') && Number.isInteger(n[0])) out.push({ kind, server: n[0]!, atEvent });
    else if ((kind === 'cut' || kind === 'heal') && Number.isInteger(n[0]) && Number.isInteger(n[1])) out.push({ kind, a: n[0]!, b: n[1]!, atEvent });
    else if (kind === 'submit') out.push({ kind, command: decodeURIComponent(args.join('.')), atEvent });
    else if (kind === 'net' && n.length === 3 && n.every(Number.isFinite)) out.push({ kind, dropRate: n[0]!, delayMinMs: n[1]!, delayMaxMs: n[2]!, atEvent });
    else if (kind === 'kv' && (args[0] === 'Put' || args[0] === 'Append' || args[0] === 'Get') && args.length === 3) {
      out.push({ kind, op: args[0], key: decodeURIComponent(args[1]!), value: decodeURIComponent(args[2]!), atEvent });
    }
  }
  return out;
}

/** A key or value in an action of the URL: dots are the separator, so they are escaped too. */
const urlPart = (text: string): string => encodeURIComponent(text).replace(/\./g, '%2E');

function actionText(a: Action): string {
  switch (a.kind) {
    case 'crash':
    case 'restart':
      return `${a.kind}.${a.server}@${a.atEvent}`;
    case 'cut':
    case 'heal':
      return `${a.kind}.${a.a}.${a.b}@${a.atEvent}`;
    case 'submit':
      return `submit.${encodeURIComponent(a.command)}@${a.atEvent}`;
    case 'net':
      return `net.${a.dropRate}.${a.delayMinMs}.${a.delayMaxMs}@${a.atEvent}`;
    case 'kv':
      return `kv.${a.op}.${urlPart(a.key)}.${urlPart(a.value)}@${a.atEvent}`;
  }
}

function writeUrl(): void {
  const c = view.config;
  const q = new URLSearchParams({ seed: c.seed, scene: c.scene, servers: String(c.servers), drop: String(c.dropRate), dmin: String(c.delayMinMs), dmax: String(c.delayMaxMs) });
  if (view.actions.length > 0) q.set('a', view.actions.map(actionText).join(','));
  history.replaceState(null, '', `?${q.toString()}`);
}

// ---------------------------------------------------------------------------------------
// The worker

/** A run the page shows: the simulation's Web Worker, or a recorded trace played in the page. */
interface RunWorker {
  postMessage(m: ToWorker): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** A recorded graded run (`?trace=FILE`), shown instead of a live simulation. */
let recorded: Trace | undefined;

function makeWorker(): RunWorker {
  if (recorded !== undefined) return new TracePlayer(recorded);
  return new Worker(`worker.js?v=${view.codeVersion}`) as unknown as RunWorker;
}

let worker: RunWorker | undefined;
let lastPong = 0;
let pingId = 0;
let frameWall = 0;
let speed = Number(($<HTMLSelectElement>('speed')).value);
/** All flights of the current worker, by arrival time order of receipt (old ones pruned). */
let flights: Flight[] = [];

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

/** Starts a fresh worker on the current code: plays from the start, or replays to `target` and then waits (or plays on). */
function startWorker(target: Target, playAfter: boolean): void {
  worker?.terminate();
  view.hung = false;
  view.ended = undefined;
  flights = [];
  view.marks = [];
  renderMarks();
  const w = makeWorker();
  adopt(w);
  view.playing = playAfter;
  view.paused = !playAfter;
  updatePlayButton();
  send({ type: 'start', config: view.config, actions: view.actions, target, speed: playAfter ? speed : 0 });
}

/** Makes `w` the run the page shows. */
function adopt(w: RunWorker): void {
  view.workerStarts++;
  view.firstFrameAt = 0;
  worker = w;
  lastPong = performance.now();
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    if (w !== worker) return;
    onWorker(e.data);
  };
  w.onerror = (e) => {
    if (w !== worker) return;
    e.preventDefault();
    showVerdict('fail', `The simulation stopped: ${e.message}`);
  };
}

// ---------------------------------------------------------------------------------------
// Checkpoints: paused copies of the run at its start, every 5 simulated seconds of its first
// minute and every 20 s of its second, replayed in the background, so that going back replays
// at most 5 s (20 s later on) instead of the whole run. Each costs a worker, and building the
// one at t replays t from the seed: denser ones would take memory and time from the animation.

interface Checkpoint {
  timeMs: number;
  worker: RunWorker;
  frame: Frame | undefined;
  ready: boolean;
  flights: Flight[];
  marks: Mark[];
}

const checkpointTimesMs = [...Array.from({ length: 13 }, (_, k) => k * 5_000), 80_000, 100_000, 120_000];
let checkpoints: Checkpoint[] = [];
/** No checkpoint beyond a point where the run hung: it would hang too. */
let hangAtMs = Number.POSITIVE_INFINITY;

function publishCheckpoints(): void {
  view.checkpoints = checkpoints.map((c) => [c.timeMs, c.ready]);
}

function dropCheckpoints(keep: (c: Checkpoint) => boolean = () => false): void {
  checkpoints = checkpoints.filter((c) => {
    if (keep(c)) return true;
    c.worker.terminate();
    return false;
  });
  publishCheckpoints();
}

/** Starts building the next missing checkpoint, one at a time. */
function buildCheckpoint(): void {
  if (recorded !== undefined || checkpoints.some((c) => !c.ready) || view.hung) return;
  // The first is the run's start, so that even going back to the first seconds skips starting a worker.
  for (const timeMs of checkpointTimesMs) {
    if (timeMs > view.maxTimeMs || timeMs >= hangAtMs) return;
    if (checkpoints.some((c) => c.timeMs === timeMs)) continue;
    const cp: Checkpoint = { timeMs, worker: makeWorker(), frame: undefined, ready: false, flights: [], marks: [] };
    cp.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type !== 'frame') return;
      for (const fl of m.frame.flights) cp.flights.push(fl);
      if (cp.flights.length > 5000) cp.flights = cp.flights.slice(-2500);
      for (const mk of m.frame.marks) cp.marks.push(mk);
      cp.frame = m.frame;
      if (m.paused && m.frame.timeMs >= timeMs) {
        cp.ready = true;
        publishCheckpoints();
        buildCheckpoint();
      }
    };
    const msg: ToWorker = { type: 'start', config: view.config, actions: view.actions, target: { timeMs }, speed: 0 };
    cp.worker.postMessage(msg);
    checkpoints.push(cp);
    publishCheckpoints();
    return;
  }
}

/** The run closest before `target` that can go there: the shown run, a checkpoint, or none. */
function resume(target: NonNullable<Target>, playAfter: boolean): boolean {
  const before = (f: Frame | undefined): boolean => f !== undefined && ('timeMs' in target ? f.timeMs <= target.timeMs : f.events <= target.events);
  const mainOk = worker !== undefined && !view.hung && view.ended === undefined && before(view.frame);
  let best: Checkpoint | undefined;
  for (const c of checkpoints) if (c.ready && before(c.frame) && (best === undefined || c.frame!.events > best.frame!.events)) best = c;
  if (best !== undefined && (!mainOk || best.frame!.events > view.frame!.events)) {
    checkpoints = checkpoints.filter((c) => c !== best);
    publishCheckpoints();
    worker?.terminate();
    view.hung = false;
    view.ended = undefined;
    flights = best.flights;
    view.marks = best.marks;
    renderMarks();
    adopt(best.worker);
    onWorker({ type: 'frame', frame: { ...best.frame!, flights: [], marks: [] }, paused: true });
  } else if (!mainOk) {
    return false;
  }
  view.playing = playAfter;
  view.paused = !playAfter;
  updatePlayButton();
  send({ type: 'seek', target, speed: playAfter ? speed : 0 });
  return true;
}

function onWorker(m: FromWorker): void {
  lastPong = performance.now();
  switch (m.type) {
    case 'frame': {
      if (view.firstFrameAt === 0) view.firstFrameAt = performance.now();
      const f = m.frame;
      for (const fl of f.flights) flights.push(fl);
      if (flights.length > 5000) flights = flights.slice(-2500);
      for (const mk of f.marks) view.marks.push(mk);
      if (f.marks.length > 0) renderMarks();
      view.frame = f;
      frameWall = performance.now();
      view.paused = m.paused;
      if (m.paused) view.playing = false;
      view.maxTimeMs = Math.max(view.maxTimeMs, f.timeMs);
      buildCheckpoint();
      if ($('narration').textContent !== f.narration) $('narration').textContent = f.narration;
      updatePlayButton();
      view.ready = true;
      return;
    }
    case 'recorded':
      view.actions.push(m.action);
      writeUrl();
      return;
    case 'pong':
    case 'kv-probe':
      return;
    case 'log': {
      const log = $('log');
      log.textContent = `${(log.textContent ?? '').slice(-4000)}${m.text}\n`;
      log.scrollTop = log.scrollHeight;
      return;
    }
    case 'ended':
      view.ended = m;
      view.playing = false;
      updatePlayButton();
      if (!m.ok) showVerdict('fail', firstLine(m.message));
      return;
  }
}

function firstLine(text: string): string {
  return text.split('\n').slice(0, 3).join(' ');
}

setInterval(() => {
  if (worker === undefined || view.hung || view.ended !== undefined) return;
  if (performance.now() - lastPong > hangLimitMs) {
    worker.terminate();
    view.hung = true;
    view.playing = false;
    updatePlayButton();
    const t = view.frame?.timeMs ?? 0;
    hangAtMs = Math.min(hangAtMs, t);
    dropCheckpoints((c) => c.timeMs < t);
    const text = `the simulation stopped answering at virtual time ${t.toFixed(0)} ms: student code ran for ${hangLimitMs / 1000} s without yielding (a loop that never awaits?). The page ended it; move the time slider back or restart the run.`;
    view.marks.push({ atMs: t, atEvent: view.frame?.events ?? 0, kind: 'fail', text });
    renderMarks();
    return;
  }
  send({ type: 'ping', id: ++pingId });
}, pingEveryMs);

// ---------------------------------------------------------------------------------------
// Controls

function updatePlayButton(): void {
  const text = view.playing ? 'pause' : 'play';
  const button = $('play');
  if (button.textContent !== text) button.textContent = text;
}

function play(): void {
  if (worker === undefined || view.hung || view.ended !== undefined) {
    if (view.frame === undefined) startWorker(null, true);
    else goTo({ timeMs: view.frame.timeMs }, true);
    return;
  }
  view.playing = true;
  send({ type: 'play', speed });
  updatePlayButton();
}

function pause(): void {
  view.playing = false;
  send({ type: 'pause' });
  updatePlayButton();
}

function step(): void {
  view.playing = false;
  if (worker === undefined || view.hung || view.ended !== undefined) return goTo({ events: (view.frame?.events ?? 0) + 1 }, false);
  send({ type: 'step' });
  updatePlayButton();
}

function back(): void {
  const events = view.frame?.events ?? 0;
  goTo({ events: Math.max(0, events - 1) }, false);
}

/**
 * Goes to an instant or event: forwards by running on, backwards from the nearest checkpoint,
 * or by replaying the run from its seed (with its actions).
 */
function goTo(target: NonNullable<Target>, playAfter: boolean): void {
  if (!resume(target, playAfter)) startWorker(target, playAfter);
}

function jump(timeMs: number): void {
  goTo({ timeMs }, false);
}

function act(body: ActionBody): void {
  const f = view.frame;
  if (f === undefined) return;
  const action = { ...body, atEvent: f.events } as Action;
  // Checkpoints after this point no longer hold; the others apply it when they get here.
  dropCheckpoints((c) => c.frame !== undefined && c.ready && c.frame.events <= f.events);
  for (const c of checkpoints) c.worker.postMessage({ type: 'schedule', action } satisfies ToWorker);
  if (view.actions.some((a) => a.atEvent > f.events) || worker === undefined || view.hung || view.ended !== undefined) {
    // Acting in the past rewrites the future: drop later actions and replay to here.
    view.actions = view.actions.filter((a) => a.atEvent <= f.events);
    view.actions.push(action);
    writeUrl();
    goTo({ events: f.events }, view.playing);
    return;
  }
  send({ type: 'action', action: body });
}

function newRun(): void {
  const c = view.config;
  c.scene = $<HTMLSelectElement>('scene').value;
  c.servers = Number($<HTMLSelectElement>('servers').value);
  c.seed = $<HTMLInputElement>('seed').value.trim() || String(Math.floor(Math.random() * 1e6));
  view.actions = [];
  view.maxTimeMs = 0;
  view.frame = undefined;
  hangAtMs = Number.POSITIVE_INFINITY;
  dropCheckpoints();
  hideVerdict();
  updateServiceControls();
  writeUrl();
  startWorker(null, true);
}

function showVerdict(kind: 'fail' | 'pass', text: string): void {
  const v = $('verdict');
  v.className = kind;
  v.textContent = `${kind === 'fail' ? '✗' : '✓'} ${text}`;
}

function hideVerdict(): void {
  $('verdict').className = '';
}

function renderMarks(): void {
  const list = $('marks');
  list.replaceChildren(
    ...view.marks.map((m) => {
      const li = document.createElement('li');
      li.className = m.kind;
      const t = document.createElement('time');
      t.textContent = `${(m.atMs / 1000).toFixed(2)}s`;
      li.append(t, `${m.kind === 'fail' ? '✗ ' : m.kind === 'pass' ? '✓ ' : ''}${m.text}`);
      li.title = 'go to this moment';
      li.onclick = () => goTo({ events: m.atEvent }, false);
      return li;
    }),
  );
  list.scrollTop = list.scrollHeight;
  const fail = view.marks.find((m) => m.kind === 'fail');
  if (fail !== undefined) showVerdict('fail', `Your Raft misbehaved at ${(fail.atMs / 1000).toFixed(2)} s: ${fail.text}`);
  else if (view.marks.length > 0 && !view.hung) hideVerdict();
}

function setupControls(): void {
  const sceneSelect = $<HTMLSelectElement>('scene');
  for (const s of scenes) sceneSelect.append(new Option(s.title, s.id, false, s.id === view.config.scene));
  $<HTMLSelectElement>('servers').value = String(view.config.servers);
  $<HTMLInputElement>('seed').value = view.config.seed;
  $<HTMLInputElement>('drop').value = String(Math.round(view.config.dropRate * 100));
  $('drop-v').textContent = `${Math.round(view.config.dropRate * 100)}%`;
  $<HTMLInputElement>('dmin').value = String(view.config.delayMinMs);
  $<HTMLInputElement>('dmax').value = String(view.config.delayMaxMs);
  const q = new URLSearchParams(location.search);
  if (q.get('speed') !== null) $<HTMLSelectElement>('speed').value = q.get('speed')!;
  speed = speedValue();

  $('new-run').onclick = newRun;
  sceneSelect.onchange = newRun;
  $('servers').onchange = newRun;
  $('play').onclick = () => (view.playing ? pause() : play());
  $('step').onclick = step;
  $('back').onclick = back;
  $('speed').onchange = () => {
    speed = speedValue();
    if (view.playing) send({ type: 'play', speed });
  };
  const slider = $<HTMLInputElement>('time');
  slider.onchange = () => jump((Number(slider.value) / 1000) * Math.max(view.maxTimeMs, 1));
  const net = (): void => {
    const dropRate = Number($<HTMLInputElement>('drop').value) / 100;
    $('drop-v').textContent = `${Math.round(dropRate * 100)}%`;
    let lo = Math.max(0, Number($<HTMLInputElement>('dmin').value) || 0);
    let hi = Math.max(0, Number($<HTMLInputElement>('dmax').value) || 0);
    if (hi < lo) [lo, hi] = [hi, lo];
    act({ kind: 'net', dropRate, delayMinMs: Math.min(lo, 5000), delayMaxMs: Math.min(hi, 5000) });
  };
  $('drop').onchange = net;
  $('dmin').onchange = net;
  $('dmax').onchange = net;
  const submit = (): void => {
    const input = $<HTMLInputElement>('command');
    const command = input.value.trim();
    if (command === '') return;
    act({ kind: 'submit', command });
    input.value = '';
  };
  $('submit').onclick = submit;
  $('kv-call').onclick = callKv;
  for (const id of ['kv-key', 'kv-value']) {
    $(id).onkeydown = (e) => {
      if (e.key === 'Enter') callKv();
    };
  }
  updateServiceControls();
  $('command').onkeydown = (e) => {
    if (e.key === 'Enter') submit();
  };
  document.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === ' ') {
      e.preventDefault();
      if (view.playing) pause();
      else play();
    } else if (e.key === 'ArrowRight') step();
    else if (e.key === 'ArrowLeft') back();
  });
}

function speedValue(): number {
  const v = $<HTMLSelectElement>('speed').value;
  return v === 'max' ? Number.POSITIVE_INFINITY : Number(v);
}

// ---------------------------------------------------------------------------------------
// Drawing (render.ts): each layer of the stage is redrawn only when what it shows changed.

const renderer = new Renderer($('stage'), canvas);

/** Whether the run shown is a key/value scene. */
function isKvScene(): boolean {
  return findScene(view.config.scene)?.service === 'kv';
}

/** The instant drawn: the frame's, moved on with the clock while playing (never past the next event). */
function displayTime(): number {
  const f = view.frame;
  if (f === undefined) return 0;
  if (!view.playing || speed === Number.POSITIVE_INFINITY) return f.timeMs;
  const t = f.timeMs + (performance.now() - frameWall) * speed;
  return Math.min(t, f.nextEventMs ?? t);
}

let lastTextWall = 0;
const clockEl = $('clock');
let framesThisSecond = 0;
let secondStart = performance.now();

function draw(): void {
  requestAnimationFrame(draw);
  const started = performance.now();
  framesThisSecond++;
  if (started - secondStart >= 1000) {
    view.fps = (framesThisSecond * 1000) / (started - secondStart);
    framesThisSecond = 0;
    secondStart = started;
  }
  try {
    const t = displayTime();
    const f = view.frame;
    // The page's text and slider change at most ten times a second: layout is not free.
    if (f !== undefined && (started - lastTextWall > 100 || !view.playing)) {
      lastTextWall = started;
      const clock = `${(t / 1000).toFixed(3)} s · ${f.events} events`;
      if (clockEl.textContent !== clock) clockEl.textContent = clock;
      const slider = $<HTMLInputElement>('time');
      const value = String(Math.round((t / Math.max(view.maxTimeMs, 1)) * 1000));
      if (document.activeElement !== slider && slider.value !== value) slider.value = value;
    }
    renderer.draw({ frame: f, flights, timeMs: t, speed, kv: f?.kv !== undefined || isKvScene(), playing: view.playing }, started);
    view.layersDrawn = renderer.redrawn.join(',');
  } finally {
    view.drawMs = view.drawMs * 0.9 + (performance.now() - started) * 0.1;
  }
}

// ---------------------------------------------------------------------------------------
// Clicking and drawing on the ring

function nodeAt(x: number, y: number): number | undefined {
  return renderer.nodeAt(x, y, view.frame?.nodes.length ?? 0);
}

function segmentsCross(a: [number, number], b: [number, number], c: [number, number], d: [number, number]): boolean {
  const orient = (p: [number, number], q: [number, number], r: [number, number]): number => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return orient(a, b, c) !== orient(a, b, d) && orient(c, d, a) !== orient(c, d, b);
}

let dragFrom: [number, number] | undefined;

canvas.addEventListener('mousedown', (e) => {
  dragFrom = [e.offsetX, e.offsetY];
});

canvas.addEventListener('mouseup', (e) => {
  const from = dragFrom;
  dragFrom = undefined;
  const f = view.frame;
  if (from === undefined || f === undefined) return;
  const to: [number, number] = [e.offsetX, e.offsetY];
  const a = nodeAt(from[0], from[1]);
  const b = nodeAt(to[0], to[1]);
  const n = f.nodes.length;
  if (a !== undefined && a === b && Math.hypot(to[0] - from[0], to[1] - from[1]) < 10) {
    act(f.nodes[a]!.role === 'crashed' ? { kind: 'restart', server: a } : { kind: 'crash', server: a });
    return;
  }
  const isCut = (x: number, y: number): boolean => f.cuts.some(([p, q]) => p === Math.min(x, y) && q === Math.max(x, y));
  if (a !== undefined && b !== undefined && a !== b) {
    act(isCut(a, b) ? { kind: 'heal', a, b } : { kind: 'cut', a, b });
    return;
  }
  if (Math.hypot(to[0] - from[0], to[1] - from[1]) < 10) return;
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (segmentsCross(from, to, renderer.nodePos(p, n), renderer.nodePos(q, n))) act(isCut(p, q) ? { kind: 'heal', a: p, b: q } : { kind: 'cut', a: p, b: q });
    }
  }
});

// ---------------------------------------------------------------------------------------
// The key/value service: a probe per build says whether kvraft is there and written; if not,
// the kv scenes are off and the page stays a Raft-only page.

/** A probe that has not answered in this long is given up (its worker is ended). */
const probeLimitMs = 15_000;
let probing: RunWorker | undefined;

function probeKvService(): void {
  probing?.terminate();
  const w = new Worker(`worker.js?v=${view.codeVersion}`) as unknown as RunWorker;
  probing = w;
  const giveUp = setTimeout(() => {
    if (probing !== w) return;
    w.terminate();
    probing = undefined;
    showKvProbe({ status: 'untested', text: `the key/value probe did not answer within ${probeLimitMs / 1000} s` });
  }, probeLimitMs);
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    if (e.data.type !== 'kv-probe' || probing !== w) return;
    clearTimeout(giveUp);
    w.terminate();
    probing = undefined;
    showKvProbe(e.data.probe);
  };
  w.onerror = (e) => {
    e.preventDefault();
    if (probing !== w) return;
    clearTimeout(giveUp);
    probing = undefined;
    showKvProbe({ status: 'untested', text: `the key/value probe stopped: ${e.message}` });
  };
  w.postMessage({ type: 'probe' });
}

function showKvProbe(probe: KvProbe): void {
  view.kvProbe = probe;
  const off = probe.status === 'absent' || probe.status === 'skeleton';
  const status = $('kv-status');
  status.className = off ? 'off' : probe.status === 'ready' ? 'ready' : '';
  status.textContent = off ? 'key/value scenes off' : probe.status === 'ready' ? 'key/value service ready' : 'key/value service untested';
  status.title = probe.text;
  for (const option of $<HTMLSelectElement>('scene').options) {
    const scene = findScene(option.value);
    if (scene?.service !== 'kv') continue;
    option.disabled = off;
    option.textContent = off ? `${scene.title} (off: see the header)` : scene.title;
  }
  if (off && isKvScene()) {
    // Stay a Raft-only page: the same seed on the first Raft scene, and say why.
    $<HTMLSelectElement>('scene').value = 'election';
    newRun();
    showVerdict('fail', `The key/value scenes are off: ${probe.text}.`);
  }
}

/** Shows the form of the scene's service: Clerk calls in kv scenes, Raft commands otherwise. */
function updateServiceControls(): void {
  const kv = isKvScene();
  $('kv-form').hidden = !kv;
  $('raft-form').hidden = kv;
}

function callKv(): void {
  const op = $<HTMLSelectElement>('kv-op').value as KvOpName;
  const key = $<HTMLInputElement>('kv-key').value;
  const value = $<HTMLInputElement>('kv-value').value;
  act({ kind: 'kv', op, key, value: op === 'Get' ? '' : value });
}

// ---------------------------------------------------------------------------------------
// Live rebuilds: `lab playground` tells the page when the student's code was rebuilt, or
// why it could not be.

function showBuildErrors(errors: string[]): void {
  view.buildErrors = errors;
  const o = $('overlay');
  if (errors.length === 0) {
    o.className = '';
    return;
  }
  o.className = 'show';
  const h = document.createElement('h2');
  h.textContent = 'Your code does not compile; the page keeps running the last version that did.';
  o.replaceChildren(h, errors.join('\n\n'));
}

function listenForBuilds(): void {
  if (!('EventSource' in window) || location.protocol === 'file:') return;
  const source = new EventSource('events');
  let first = true;
  source.addEventListener('build', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { version: number; errors: string[] };
    if (data.errors.length > 0) return showBuildErrors(data.errors);
    showBuildErrors([]);
    // The first message says which build this page loaded: nothing to rerun.
    if (first) {
      first = false;
      view.codeVersion = data.version;
      return;
    }
    if (data.version === view.codeVersion) return;
    view.codeVersion = data.version;
    hangAtMs = Number.POSITIVE_INFINITY;
    dropCheckpoints();
    probeKvService();
    // The new code replays the same run to the same instant, and plays on if it was playing.
    const f = view.frame;
    startWorker(f === undefined ? null : { timeMs: f.timeMs }, view.playing || f === undefined);
  });
  // A static copy has no event stream: stop asking.
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) source.close();
  };
}

// ---------------------------------------------------------------------------------------

window.addEventListener('resize', () => renderer.resize());
setupControls();
renderer.resize(isKvScene());
const initialVersion = Number(new URLSearchParams(location.search).get('v') ?? '0');
view.codeVersion = Number.isFinite(initialVersion) ? initialVersion : 0;
requestAnimationFrame(draw);
const traceUrl = new URLSearchParams(location.search).get('trace');
if (traceUrl !== null) void openTrace(traceUrl);
else {
  const startPaused = new URLSearchParams(location.search).get('paused') !== null;
  writeUrl();
  startWorker(null, !startPaused);
  probeKvService();
  listenForBuilds();
}

/** Shows a recorded graded run, at `?t=` ms (the failure) if given. */
async function openTrace(url: string): Promise<void> {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const trace = (await response.json()) as Trace;
    if (trace.format !== 'raftlab-trace' || !Array.isArray(trace.events)) throw new Error(`${url} is not a raftlab trace`);
    recorded = trace;
  } catch (e) {
    showVerdict('fail', `Could not load the recorded run: ${(e as Error).message}`);
    return;
  }
  for (const id of ['scene', 'servers', 'seed', 'new-run', 'drop', 'dmin', 'dmax', 'command', 'submit', 'kv-call']) ($(id) as HTMLInputElement).disabled = true;
  const at = Number(new URLSearchParams(location.search).get('t'));
  view.maxTimeMs = recorded.events.at(-1)?.t ?? 0;
  startWorker(Number.isFinite(at) && at > 0 ? { timeMs: at } : null, false);
}
