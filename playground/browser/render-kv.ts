/**
 * The key/value service on the stage (kv scenes): the Clerks in a column left of the ring, and
 * under the logs each server's state (its map where the page can read it, else the last
 * command it applied), each Clerk's call, and porcupine's verdict on the history so far.
 */
import type { ClerkView, KvFrame, NodeView } from '../engine/protocol.ts';

const verdictColor = { Ok: '#2e7d32', Illegal: '#c62828', Unknown: '#757575', empty: '#757575' } as const;

/** Where the kv panel starts, below the logs (CSS px from the top of the stage). */
export function kvPanelTop(height: number): number {
  return Math.round(Math.max(200, height * 0.45));
}

/** What the panel shows: it is redrawn only when this changes. */
export function kvPanelKey(kv: KvFrame, nodes: NodeView[]): string {
  return JSON.stringify([kv.clerks, kv.verdict, nodes.map((n) => n.kv ?? n.role)]);
}

/** The Clerks as boxes: bold while a call is in progress. */
export function drawClerks(ctx: CanvasRenderingContext2D, clerks: ClerkView[], pos: (c: number) => [number, number]): void {
  ctx.textAlign = 'center';
  for (const c of clerks) {
    const [x, y] = pos(c.id);
    const busy = c.busy !== undefined;
    ctx.fillStyle = busy ? '#e0f2f1' : '#fafafa';
    ctx.strokeStyle = busy ? '#00897b' : '#9e9e9e';
    ctx.lineWidth = busy ? 2.5 : 1.5;
    ctx.beginPath();
    ctx.roundRect(x - 30, y - 18, 60, 36, 6);
    ctx.fill();
    ctx.stroke();
    ctx.fillStyle = '#212121';
    ctx.font = 'bold 13px system-ui';
    ctx.fillText(`C${c.id}`, x, y - 2);
    ctx.font = '10px system-ui';
    ctx.fillStyle = busy ? '#00695c' : '#9e9e9e';
    ctx.fillText(busy ? 'calling' : 'idle', x, y + 12);
  }
  ctx.textAlign = 'left';
}

/** Cuts `text` to fit `width` px in the current font. */
function fit(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

function serverLine(node: NodeView): string {
  if (node.role === 'crashed') return 'crashed';
  const kv = node.kv;
  if (kv === undefined) return '';
  const applied = kv.lastApplied === undefined ? 'nothing applied yet' : `applied ${kv.lastApplied.index}`;
  if (kv.entries !== undefined) {
    const map = kv.entries.length === 0 ? '(empty)' : kv.entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('  ');
    return `${map}   · ${applied}`;
  }
  return kv.lastApplied === undefined ? applied : `${applied}: ${kv.lastApplied.command}`;
}

/** The panel between `top` and `bottom`, from `left` to `right`. */
export function drawKvPanel(ctx: CanvasRenderingContext2D, kv: KvFrame, nodes: NodeView[], left: number, top: number, right: number, bottom: number): void {
  const width = right - left - 16;
  let y = top + 18;
  const line = (text: string, color: string, font = '12px system-ui', step = 17): void => {
    if (y > bottom) return;
    ctx.font = font;
    ctx.fillStyle = color;
    ctx.fillText(fit(ctx, text, width), left, y);
    y += step;
  };
  line('key/value state of each server', '#757575', '11px system-ui');
  for (const node of nodes) line(`S${node.id}  ${serverLine(node)}`, node.role === 'crashed' ? '#9e9e9e' : '#37474f');
  y += 6;
  line('Clerks', '#757575', '11px system-ui');
  if (kv.clerks.length === 0) line('none yet: make a call with the form below', '#9e9e9e');
  for (const c of kv.clerks) line(`C${c.id}  ${c.busy !== undefined ? `${c.busy.text} …` : c.last ?? 'idle'}`, c.busy !== undefined ? '#00695c' : '#37474f');
  y += 6;
  const mark = kv.verdict.result === 'Ok' ? '✓ ' : kv.verdict.result === 'Illegal' ? '✗ ' : '';
  line(`porcupine: ${mark}${kv.verdict.text.split('\n')[0]}`, verdictColor[kv.verdict.result], 'bold 12px system-ui');
  for (const more of kv.verdict.text.split('\n').slice(1, 6)) line(more, verdictColor[kv.verdict.result], '11px monospace', 15);
}
