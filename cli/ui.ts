import type { Out } from './context.ts';

/** Real timers of the main thread (the CLI never runs on virtual time; saved anyway for clarity). */
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;

const ansiPattern = /\u001b\[[0-9;]*m/g;

/** Visible width of a string that may hold colour codes. */
export function visibleWidth(text: string): number {
  return text.replace(ansiPattern, '').length;
}

export type Align = 'left' | 'right';

/** A plain text table: a header, a rule, then rows; numbers are best right-aligned. */
export function table(header: string[], rows: string[][], align: Align[] = []): string {
  const widths = header.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(widths[i]! - visibleWidth(cell));
        return align[i] === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Mean and sample standard deviation (0 for fewer than two values). */
export function meanSd(values: number[]): { mean: number; sd: number } {
  if (values.length === 0) return { mean: 0, sd: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}

/** Seconds with one decimal, from milliseconds. */
export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** "12.3 ± 0.4" in seconds, from milliseconds. */
export function meanSdSeconds(valuesMs: number[]): string {
  const { mean, sd } = meanSd(valuesMs);
  return `${(mean / 1000).toFixed(2)} ± ${(sd / 1000).toFixed(2)}`;
}

/** "1 test", "3 tests". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A failure message in one line: its first line, and when that only announces what follows
 * ("uncaught exception at virtual time 5 ms in server 2:"), the first line of what follows (the
 * error's own text), cut to a readable length.
 */
export function summaryLine(text: string, max = 160): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let line = lines[0] ?? '';
  if (line.endsWith(':') && lines[1] !== undefined) line = `${line} ${lines[1]}`;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The first line of a message, cut to a readable length. */
export function firstLine(text: string, max = 100): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A live status line on a terminal (a spinner and a text that is redrawn in place), and a way
 * to print whole lines above it. Off a terminal it draws nothing: callers print plain lines.
 */
export class StatusLine {
  private text = '';
  private frame = 0;
  private shown = false;
  private timer: ReturnType<typeof realSetInterval> | undefined;

  /** `status` is where the live line is drawn; it is live only if that is a terminal. */
  constructor(private readonly status: Out) {}

  get live(): boolean {
    return this.status.isTTY;
  }

  /** Sets the status text (drawn at once, then animated). */
  set(text: string): void {
    if (!this.live) return;
    this.text = text;
    this.timer ??= realSetInterval(() => {
      this.frame = (this.frame + 1) % spinnerFrames.length;
      this.draw();
    }, 100);
    (this.timer as { unref?: () => void }).unref?.();
    this.draw();
  }

  /** Prints whole lines to `out` without tearing the status line. */
  print(out: Out, text: string): void {
    this.erase();
    out.write(text.endsWith('\n') ? text : `${text}\n`);
    if (this.text !== '') this.draw();
  }

  /** Removes the status line for good. */
  stop(): void {
    if (this.timer !== undefined) realClearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    this.text = '';
  }

  private draw(): void {
    if (!this.live) return;
    // One terminal row at most, or the next redraw would erase only its last row.
    const width = Math.max(20, (this.status.columns ?? 80) - 3);
    const text = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.status.write(`\r\u001b[2K${spinnerFrames[this.frame]} ${text}`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.status.write('\r\u001b[2K');
    this.shown = false;
  }
}

/**
 * Progress of a long batch: on a terminal one line updated in place; elsewhere a line at
 * every tenth of the work (so logs of CI runs stay short).
 */
export class Progress {
  private lastTenth = 0;

  constructor(
    private readonly status: StatusLine,
    private readonly plain: Out,
    private readonly total: number,
  ) {}

  update(done: number, text: string): void {
    if (this.status.live) {
      this.status.set(text);
      return;
    }
    const tenth = Math.floor((done * 10) / Math.max(1, this.total));
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.plain.write(`${text}\n`);
    }
  }
}
