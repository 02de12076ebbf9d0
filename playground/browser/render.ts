/**
 * Draws the playground on a stack of canvases, each redrawn only when what it shows changed:
 * the links and legend (base), what moves (messages in flight and election timers, over the
 * ring only), the servers and Clerks, the logs and key/value panel, and the status line on
 * top (the canvas that takes the clicks). While a run plays only the moving layer is redrawn
 * every frame; a paused page draws nothing. Text is what costs most to draw, and it sits in
 * the layers that seldom change.
 */
import { clerkAt, type Flight, type Frame, type NodeView } from '../engine/protocol.ts';
import { drawClerks, drawKvPanel, kvPanelKey, kvPanelTop } from './render-kv.ts';

/** What one frame of the page shows. */
export interface DrawState {
  frame: Frame | undefined;
  /** Every message of the run the page holds (old ones pruned). */
  flights: readonly Flight[];
  /** The instant drawn (ms of the run). */
  timeMs: number;
  /** Simulated ms per real ms (Infinity: as fast as possible). */
  speed: number;
  /** A key/value scene: Clerks stand left of the ring and the right panel shows the service. */
  kv: boolean;
  /** Whether the run plays (the status line then changes at most ten times a second). */
  playing: boolean;
}

export interface Layout {
  width: number;
  height: number;
  cx: number;
  cy: number;
  radius: number;
  nodeRadius: number;
  /** Left edge of the logs panel; the ring and the moving layer stay left of it. */
  logLeft: number;
  /** Centre of the Clerks' column (kv scenes). */
  clerkX: number;
}

const termColors = ['#90a4ae', '#42a5f5', '#66bb6a', '#ffa726', '#ab47bc', '#ef5350', '#26c6da', '#d4e157', '#8d6e63', '#ec407a'];
export const termColor = (t: number): string => (t < 0 ? '#bdbdbd' : termColors[t % termColors.length]!);
const roleFill: Record<NodeView['role'], string> = { follower: '#eceff1', candidate: '#fff3e0', leader: '#e8f5e9', crashed: '#616161' };
export const roleStroke: Record<NodeView['role'], string> = { follower: '#78909c', candidate: '#fb8c00', leader: '#2e7d32', crashed: '#212121' };
export const methodColor = (m: string): string =>
  m.endsWith('RequestVote') ? '#f9a825' : m.endsWith('AppendEntries') ? '#1e88e5' : m.endsWith('InstallSnapshot') ? '#8e24aa' : m.endsWith('PutAppend') ? '#00897b' : m.endsWith('.Get') ? '#6d4c41' : '#757575';

/** The status line changes at most this often while playing (ms of real time). */
const statusEveryMs = 100;
/** Height of the status band at the top of the stage. */
const statusBandPx = 30;
/** Width of the Clerks' column left of the ring in kv scenes. */
const clerkColumnPx = 96;

/** One canvas of the stack. */
class Layer {
  readonly ctx: CanvasRenderingContext2D;
  /** What the layer shows now; a different key redraws it. */
  key = '';

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d')!;
  }

  static make(stage: HTMLElement, before: HTMLElement): Layer {
    const canvas = document.createElement('canvas');
    canvas.style.pointerEvents = 'none';
    stage.insertBefore(canvas, before);
    return new Layer(canvas);
  }

  /** Sizes the canvas to `width` x `height` CSS px (reallocating it only when that changed). */
  resize(width: number, height: number, dpr: number): void {
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.key = '';
  }

  clear(): void {
    this.ctx.save();
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.restore();
  }
}

export class Renderer {
  layout: Layout = { width: 0, height: 0, cx: 0, cy: 0, radius: 0, nodeRadius: 32, logLeft: 0, clerkX: 0 };
  private readonly base: Layer;
  private readonly motion: Layer;
  private readonly nodes: Layer;
  private readonly logs: Layer;
  private readonly top: Layer;
  private kv = false;
  private lastStatusWall = 0;
  /** Each node's election deadline as last seen, and how long it was when set (a Raft that keeps only a deadline). */
  private readonly timers = new Map<number, { deadline: number; total: number }>();
  private timersOf: Frame | undefined;
  /** Layers redrawn by the last draw (for tests and the bench). */
  redrawn: string[] = [];

  /** `top` is the stage's canvas that takes the clicks; the other layers go under it. */
  constructor(private readonly stage: HTMLElement, topCanvas: HTMLCanvasElement) {
    this.base = Layer.make(stage, topCanvas);
    this.motion = Layer.make(stage, topCanvas);
    this.nodes = Layer.make(stage, topCanvas);
    this.logs = Layer.make(stage, topCanvas);
    this.top = new Layer(topCanvas);
  }

  /** Lays the stage out again (a resize, or a switch between Raft and kv scenes). */
  resize(kv = this.kv): void {
    this.kv = kv;
    const rect = this.stage.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const ringRight = Math.min(rect.width * 0.55, rect.height + 80) + (kv ? clerkColumnPx / 2 : 0);
    const ringLeft = kv ? clerkColumnPx : 0;
    const ringWidth = ringRight - ringLeft;
    this.layout = {
      width: rect.width,
      height: rect.height,
      cx: ringLeft + ringWidth / 2,
      cy: rect.height / 2 + 10,
      radius: Math.max(60, Math.min(ringWidth, rect.height) / 2 - 70),
      nodeRadius: 32,
      logLeft: ringRight + 10,
      clerkX: clerkColumnPx / 2,
    };
    for (const layer of [this.base, this.nodes, this.logs, this.top]) layer.resize(rect.width, rect.height, dpr);
    this.motion.resize(this.layout.logLeft, rect.height, dpr);
  }

  nodePos(i: number, n: number): [number, number] {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [this.layout.cx + this.layout.radius * Math.cos(a), this.layout.cy + this.layout.radius * Math.sin(a)];
  }

  clerkPos(c: number): [number, number] {
    return [this.layout.clerkX, 78 + c * 58];
  }

  /** Where a Flight's end is drawn: a server on the ring or a Clerk in its column. */
  endPos(endpoint: number, n: number): [number, number] {
    const clerk = clerkAt(endpoint);
    return clerk === undefined ? this.nodePos(endpoint, n) : this.clerkPos(clerk);
  }

  /** The server under (x, y), if any. */
  nodeAt(x: number, y: number, n: number): number | undefined {
    for (let i = 0; i < n; i++) {
      const [nx, ny] = this.nodePos(i, n);
      if (Math.hypot(nx - x, ny - y) <= this.layout.nodeRadius + 4) return i;
    }
    return undefined;
  }

  /** Draws what changed since the last call. */
  draw(s: DrawState, wall: number): void {
    this.redrawn = [];
    if (s.kv !== this.kv) this.resize(s.kv);
    const f = s.frame;
    const size = `${this.layout.width}x${this.layout.height}`;
    if (f === undefined) {
      if (this.top.key !== 'starting') {
        for (const layer of [this.base, this.motion, this.nodes, this.logs, this.top]) layer.clear();
        for (const layer of [this.base, this.motion, this.nodes, this.logs]) layer.key = '';
        this.top.key = 'starting';
        this.top.ctx.fillStyle = '#757575';
        this.top.ctx.font = '16px system-ui';
        this.top.ctx.fillText('starting the simulation…', 20, 30);
      }
      return;
    }
    const n = f.nodes.length;
    this.redraw(this.base, `${size}|${n}|${s.kv}|${JSON.stringify(f.cuts)}`, (ctx) => this.drawBase(ctx, f, s.kv));
    this.redraw(this.nodes, `${size}|${JSON.stringify(f.nodes.map((v) => [v.role, v.term, v.votedFor, v.stateError !== undefined]))}|${JSON.stringify(f.kv?.clerks.map((c) => c.busy !== undefined))}`, (ctx) => {
      for (const node of f.nodes) this.drawNode(ctx, node, n);
      if (f.kv !== undefined) drawClerks(ctx, f.kv.clerks, (c) => this.clerkPos(c));
    });
    this.redraw(this.logs, `${size}|${logsKey(f)}|${f.kv === undefined ? '' : kvPanelKey(f.kv, f.nodes)}`, (ctx) => {
      const bottom = f.kv === undefined ? this.layout.height - 60 : kvPanelTop(this.layout.height);
      drawLogs(ctx, f, this.layout, bottom);
      if (f.kv !== undefined) drawKvPanel(ctx, f.kv, f.nodes, this.layout.logLeft, bottom, this.layout.width, this.layout.height - 30);
    });
    this.updateTimers(f);
    this.redraw(this.motion, `${size}|${s.timeMs}|${s.flights.length}|${s.speed}|${f.events}`, (ctx) => {
      this.drawFlights(ctx, s, n);
      for (const node of f.nodes) this.drawTimer(ctx, node, n, s.timeMs);
    });
    const statusKey = `${size}|${s.timeMs}|${f.rpcs}|${f.dropRate}|${f.delayMinMs}|${f.delayMaxMs}`;
    if (this.top.key !== statusKey && (wall - this.lastStatusWall >= statusEveryMs || !s.playing)) {
      this.lastStatusWall = wall;
      const ctx = this.top.ctx;
      if (this.top.key === 'starting') this.top.clear();
      else ctx.clearRect(0, 0, this.layout.width, statusBandPx);
      this.top.key = statusKey;
      ctx.fillStyle = '#424242';
      ctx.font = '13px system-ui';
      ctx.fillText(`t = ${(s.timeMs / 1000).toFixed(3)} s   RPCs ${f.rpcs}   bytes ${f.bytes}   drop ${Math.round(f.dropRate * 100)}%   delay ${f.delayMinMs}–${f.delayMaxMs} ms`, 12, 20);
      this.redrawn.push('status');
    }
  }

  private redraw(layer: Layer, key: string, paint: (ctx: CanvasRenderingContext2D) => void): void {
    if (layer.key === key) return;
    layer.key = key;
    layer.clear();
    paint(layer.ctx);
    this.redrawn.push(layer === this.base ? 'base' : layer === this.motion ? 'motion' : layer === this.nodes ? 'nodes' : 'logs');
  }

  private drawBase(ctx: CanvasRenderingContext2D, f: Frame, kv: boolean): void {
    const n = f.nodes.length;
    // Links, cut ones dashed red.
    const cut = new Set(f.cuts.map(([a, b]) => `${a}-${b}`));
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const [x1, y1] = this.nodePos(a, n);
        const [x2, y2] = this.nodePos(b, n);
        const isCut = cut.has(`${a}-${b}`);
        ctx.strokeStyle = isCut ? '#e57373' : '#e0e0e0';
        ctx.setLineDash(isCut ? [6, 6] : []);
        ctx.lineWidth = isCut ? 2 : 1;
        ctx.beginPath();
        ctx.moveTo(x1, y1);
        ctx.lineTo(x2, y2);
        ctx.stroke();
        if (isCut) {
          ctx.setLineDash([]);
          cross(ctx, (x1 + x2) / 2, (y1 + y2) / 2, 6, '#c62828');
        }
      }
    }
    ctx.setLineDash([]);
    this.drawLegend(ctx, kv);
  }

  private drawLegend(ctx: CanvasRenderingContext2D, kv: boolean): void {
    const y = this.layout.height - 14;
    let x = 12;
    const item = (color: string, text: string, reply = false): void => {
      ctx.beginPath();
      ctx.arc(x + 5, y - 4, 5, 0, 2 * Math.PI);
      if (reply) {
        ctx.strokeStyle = color;
        ctx.lineWidth = 2;
        ctx.stroke();
      } else {
        ctx.fillStyle = color;
        ctx.fill();
      }
      ctx.fillStyle = '#616161';
      ctx.font = '12px system-ui';
      ctx.fillText(text, x + 14, y);
      x += 14 + ctx.measureText(text).width + 16;
    };
    item(methodColor('Raft.RequestVote'), 'RequestVote');
    item(methodColor('Raft.AppendEntries'), 'AppendEntries');
    item(methodColor('Raft.InstallSnapshot'), 'InstallSnapshot');
    if (kv) {
      item(methodColor('KVServer.PutAppend'), 'PutAppend');
      item(methodColor('KVServer.Get'), 'Get');
    }
    item('#757575', 'reply', true);
    cross(ctx, x + 5, y - 4, 5, '#c62828');
    ctx.fillStyle = '#616161';
    ctx.fillText('dropped / lost', x + 16, y);
  }

  private drawFlights(ctx: CanvasRenderingContext2D, s: DrawState, n: number): void {
    const t = s.timeMs;
    const speed = s.speed;
    // A hop lasts at least three animation frames on screen, so that fast ones are still seen.
    const minSimMs = speed === Number.POSITIVE_INFINITY ? 0 : 50 * speed;
    const lingerMs = Math.max(30, 300 * (speed === Number.POSITIVE_INFINITY ? 1 : speed));
    for (const fl of s.flights) {
      if (fl.from >= n || fl.to >= n) continue;
      const end = Math.max(fl.t1, fl.t0 + minSimMs);
      if (t < fl.t0 || t > end + (fl.fate === 'delivered' ? 0 : lingerMs)) continue;
      const [x1, y1] = this.endPos(fl.from, n);
      const [x2, y2] = this.endPos(fl.to, n);
      let p = end === fl.t0 ? 1 : (t - fl.t0) / (end - fl.t0);
      const lost = fl.fate !== 'delivered';
      if (lost) p = Math.min(p, 0.5);
      p = Math.min(1, Math.max(0, p));
      const x = x1 + (x2 - x1) * p;
      const y = y1 + (y2 - y1) * p;
      const color = methodColor(fl.method);
      if (lost && p >= 0.5) {
        cross(ctx, x, y, 7, '#c62828');
        continue;
      }
      ctx.beginPath();
      ctx.arc(x, y, fl.reply ? 5 : 7, 0, 2 * Math.PI);
      if (fl.reply) {
        ctx.fillStyle = '#fff';
        ctx.fill();
        ctx.strokeStyle = color;
        ctx.lineWidth = 2.5;
        ctx.stroke();
      } else {
        ctx.fillStyle = color;
        ctx.fill();
      }
      if (speed <= 0.1 && fl.label !== '') {
        ctx.fillStyle = '#455a64';
        ctx.font = '10px system-ui';
        ctx.fillText(fl.label, x + 8, y - 6);
      }
    }
  }

  /** Remembers each election deadline and the longest timeout seen for it (once per frame). */
  private updateTimers(f: Frame): void {
    if (this.timersOf === f) return;
    this.timersOf = f;
    for (const node of f.nodes) {
      if (node.timer === undefined) continue;
      const deadline = f.timeMs + node.timer.leftMs;
      const seen = this.timers.get(node.id);
      if (seen === undefined || Math.abs(seen.deadline - deadline) > 0.5) this.timers.set(node.id, { deadline, total: node.timer.totalMs });
      else seen.total = Math.max(seen.total, node.timer.totalMs);
    }
  }

  /** Election timer: an arc that runs down from its last reset. */
  private drawTimer(ctx: CanvasRenderingContext2D, node: NodeView, n: number, t: number): void {
    const timer = this.timers.get(node.id);
    if (node.timer === undefined || timer === undefined) return;
    const [x, y] = this.nodePos(node.id, n);
    const left = Math.max(0, timer.deadline - t);
    const frac = Math.min(1, left / Math.max(timer.total, 1));
    ctx.strokeStyle = '#b0bec5';
    ctx.lineWidth = 5;
    ctx.beginPath();
    ctx.arc(x, y, this.layout.nodeRadius + 6, -Math.PI / 2, -Math.PI / 2 + 2 * Math.PI * frac);
    ctx.stroke();
  }

  private drawNode(ctx: CanvasRenderingContext2D, node: NodeView, n: number): void {
    const [x, y] = this.nodePos(node.id, n);
    const r = this.layout.nodeRadius;
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = node.stateError !== undefined ? '#ffcdd2' : roleFill[node.role];
    ctx.fill();
    ctx.lineWidth = node.role === 'leader' ? 4 : 2;
    ctx.strokeStyle = roleStroke[node.role];
    ctx.stroke();
    ctx.textAlign = 'center';
    ctx.fillStyle = node.role === 'crashed' ? '#fff' : '#212121';
    ctx.font = 'bold 16px system-ui';
    ctx.fillText(`S${node.id}`, x, y - 4);
    ctx.font = '12px system-ui';
    if (node.role === 'crashed') ctx.fillText('crashed', x, y + 13);
    else ctx.fillText(`T${node.term ?? '?'}${node.votedFor !== undefined && node.votedFor >= 0 ? ` →S${node.votedFor}` : ''}`, x, y + 13);
    ctx.fillStyle = roleStroke[node.role];
    ctx.font = '11px system-ui';
    ctx.fillText(node.stateError !== undefined ? 'bad GetState' : node.role, x, y + r + 20);
    ctx.textAlign = 'left';
  }
}

export function cross(ctx: CanvasRenderingContext2D, x: number, y: number, r: number, color: string): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.moveTo(x - r, y - r);
  ctx.lineTo(x + r, y + r);
  ctx.moveTo(x + r, y - r);
  ctx.lineTo(x - r, y + r);
  ctx.stroke();
}

/** What the logs panel shows: it is redrawn only when this changes. */
function logsKey(f: Frame): string {
  return JSON.stringify(f.nodes.map((n) => [n.role, n.log?.length, n.lastIndex, n.log?.at(-1)?.term, n.log?.[0]?.index, n.commitIndex, n.applied]));
}

/** The logs: one row per server, one cell per entry coloured by term, a bar at the commit index; between y 50 and `bottom`. */
function drawLogs(ctx: CanvasRenderingContext2D, f: Frame, layout: Layout, bottom: number): void {
  const left = layout.logLeft;
  const top = 50;
  const rowH = Math.min(44, (bottom - top - 20) / Math.max(1, f.nodes.length));
  const cellW = 26;
  const cols = Math.max(4, Math.floor((layout.width - left - 60) / cellW));
  let last = 0;
  for (const node of f.nodes) last = Math.max(last, node.lastIndex ?? 0, node.applied);
  const first = Math.max(1, last - cols + 1);
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#757575';
  ctx.fillText('logs (colour = term, bar = commit index)', left, top - 22);
  for (let c = 0; c < cols && first + c <= Math.max(last, first + cols - 1); c++) {
    if ((first + c) % 5 === 0 || c === 0) ctx.fillText(String(first + c), left + 40 + c * cellW + 4, top - 6);
  }
  f.nodes.forEach((node, row) => {
    const y = top + row * rowH;
    ctx.fillStyle = node.role === 'crashed' ? '#9e9e9e' : roleStroke[node.role];
    ctx.font = 'bold 13px system-ui';
    ctx.fillText(`S${node.id}`, left, y + rowH / 2 + 4);
    const cells = new Map((node.log ?? []).map((e) => [e.index, e]));
    for (let c = 0; c < cols; c++) {
      const index = first + c;
      const x = left + 40 + c * cellW;
      const e = cells.get(index);
      ctx.strokeStyle = '#e0e0e0';
      ctx.lineWidth = 1;
      ctx.strokeRect(x, y + 4, cellW - 2, rowH - 10);
      if (e === undefined) {
        if (node.log === undefined && index <= node.applied) {
          ctx.fillStyle = '#eeeeee';
          ctx.fillRect(x + 1, y + 5, cellW - 4, rowH - 12);
        }
        continue;
      }
      ctx.fillStyle = termColor(e.term);
      ctx.fillRect(x + 1, y + 5, cellW - 4, rowH - 12);
      ctx.fillStyle = '#fff';
      ctx.font = 'bold 11px system-ui';
      ctx.fillText(String(e.term), x + 8, y + rowH / 2 + 3);
    }
    const commit = node.commitIndex ?? node.applied;
    if (commit >= first && commit > 0) {
      const x = left + 40 + (commit - first + 1) * cellW - 1;
      ctx.fillStyle = '#212121';
      ctx.fillRect(x - 2, y + 1, 3, rowH - 4);
    }
  });
}
