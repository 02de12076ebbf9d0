/**
 * The trace page in a real browser: Debian's headless Chromium driven by playwright-core.
 * Loads generated pages from file:// URLs, reads the page's read-only `window.__traceView`
 * and the canvas pixels, clicks like a user, and times a 100 000-event trace until it is
 * interactive. Screenshots go to .lab/artifacts/ (git-ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runSimulation } from '../../sim/index.ts';
import { TraceRecorder, renderTraceHtml, setActiveRecorder, type Trace } from '../index.ts';
import { runScenario, type ScenarioOptions } from './scenario.ts';

const chromiumPath = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';
/**
 * Without Chromium (a student's machine, a handout) these tests are skipped, so that `npm test`
 * passes there; CI (CI=true) installs Chromium in .ci/run and requires it.
 */
const chromiumMissing = !existsSync(chromiumPath) && process.env.CI !== 'true';
if (chromiumMissing) console.warn(`trace page browser tests skipped: no Chromium at ${chromiumPath} (apt-get install -y chromium, or LAB_CHROMIUM=path)`);
const artifacts = resolve(import.meta.dirname, '../../.lab/artifacts');
/** Interactive time to report against (the target) and to fail at (generous, for loaded CI machines). */
const interactiveTargetMs = 3000;
const interactiveLimitMs = 15_000;

/** What the page publishes on window.__traceView (read-only; replaced on every draw). */
interface TraceView {
  ready: boolean;
  drawCount: number;
  firstDrawAt: number;
  lastDrawMs: number;
  clicks: number;
  events: number;
  view: { t0: number; t1: number };
  tEnd: number;
  canvas: { left: number; top: number; width: number; height: number; labelWidth: number };
  lanes: { label: string; visible: boolean; y: number; height: number; midY: number; bandY: number; bandHeight: number }[];
  drawnArrows: number;
  drawnArrowsByStyle: Record<'request' | 'reply' | 'delayed' | 'dropped' | 'unreachable', number>;
  drawnMarkers: number;
  failureMarker: { t: number; x: number; y: number; clientX: number; clientY: number; visible: boolean; event: number } | null;
  highlight: number | null;
  selected: { type: string; index: number; event: number } | null;
}

async function makeTrace(options: ScenarioOptions, seed: string, maxEvents?: number): Promise<Trace> {
  const rec = new TraceRecorder({ maxEvents });
  setActiveRecorder(rec);
  rec.attachLogs();
  rec.meta({ test: `scenario ${seed}`, seed, mode: 'virtual' });
  try {
    await runSimulation(() => runScenario(options), { seed, mode: 'virtual' });
  } finally {
    rec.detach();
    setActiveRecorder(undefined);
  }
  return rec.toJSON();
}

function writePage(trace: Trace, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-page-'));
  const path = join(dir, name);
  writeFileSync(path, renderTraceHtml(trace), 'utf8');
  return pathToFileURL(path).href;
}

function view(page: Page): Promise<TraceView> {
  // The locate function does not cross into Node; everything else is plain data.
  return page.evaluate(() => {
    const v = (window as unknown as { __traceView: TraceView & { locate?: unknown } }).__traceView;
    return JSON.parse(JSON.stringify({ ...v, locate: undefined })) as TraceView;
  });
}

function locate(page: Page, event: number): Promise<{ clientX: number; clientY: number } | null> {
  return page.evaluate((i) => (window as unknown as { __traceView: { locate(i: number): { clientX: number; clientY: number } | null } }).__traceView.locate(i), event);
}

/** Canvas pixel [r, g, b, a] at CSS coordinates (x, y) of the canvas. */
function pixel(page: Page, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([px, py]) => {
      const cv = document.getElementById('cv') as HTMLCanvasElement;
      const dpr = cv.width / cv.clientWidth;
      return Array.from(cv.getContext('2d')!.getImageData(Math.round(px! * dpr), Math.round(py! * dpr), 1, 1).data);
    },
    [x, y],
  );
}

function near(rgb: number[], want: [number, number, number], tolerance = 40): boolean {
  return Math.abs(rgb[0]! - want[0]) + Math.abs(rgb[1]! - want[1]) + Math.abs(rgb[2]! - want[2]) <= tolerance;
}

let browser: Browser | undefined;

beforeAll(async () => {
  if (chromiumMissing) return;
  if (!existsSync(chromiumPath)) {
    throw new Error(`the browser test needs Debian's Chromium at ${chromiumPath}; install it with: apt-get install -y chromium`);
  }
  mkdirSync(artifacts, { recursive: true });
  // playwright starts every launch on a fresh temporary profile (user data dir) of its own.
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function openPage(url: string, errors: string[], onNavigate?: () => void): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 820 }, deviceScaleFactor: 1 });
  onNavigate?.();
  page.on('pageerror', (e) => errors.push(e.message));
  // Nothing may leave the machine: any request other than the page itself is a failure.
  page.on('request', (r) => {
    if (r.url() !== url) errors.push(`unexpected request ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __traceView?: { ready: boolean } }).__traceView?.ready === true, undefined, { timeout: interactiveLimitMs });
  return page;
}

describe.skipIf(chromiumMissing)('trace page in headless Chromium', () => {
  it('draws lanes, arrows and the failure; clicks show details; the failure link moves the view', async () => {
    const trace = await makeTrace({ servers: 5, durationMs: 8000, fail: true }, 'browser-page');
    const url = writePage(trace, 'page.html');
    const errors: string[] = [];
    const page = await openPage(url, errors);

    let v = await view(page);
    // A lane per server and one for the tester, all drawn.
    expect(v.lanes.map((l) => l.label)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'tester']);
    expect(v.lanes.every((l) => l.visible && l.y >= 0)).toBe(true);
    expect(v.events).toBe(trace.events.length);
    // Messages, including dropped ones (the run had a disconnect and an unreliable stretch).
    expect(v.drawnArrows).toBeGreaterThan(500);
    expect(v.drawnArrowsByStyle.request).toBeGreaterThan(100);
    expect(v.drawnArrowsByStyle.dropped + v.drawnArrowsByStyle.unreachable).toBeGreaterThan(0);
    expect(v.drawnMarkers).toBeGreaterThan(50);
    // The failure marker, at the failure's time, on screen.
    const failure = trace.events.findIndex((e) => e.k === 'failure');
    expect(v.failureMarker).not.toBeNull();
    expect(v.failureMarker!.visible).toBe(true);
    expect(v.failureMarker!.event).toBe(failure);
    expect(v.failureMarker!.t).toBe(trace.events[failure]!.t);

    // Pixels: S0 leads at the start (green band), the failure line is red.
    const x = (t: number): number => v.canvas.labelWidth + ((t - v.view.t0) / (v.view.t1 - v.view.t0)) * (v.canvas.width - v.canvas.labelWidth);
    const s0 = v.lanes[0]!;
    expect(near(await pixel(page, x(300), s0.bandY + s0.bandHeight / 2), [0x2e, 0x7d, 0x32])).toBe(true);
    const fx = Math.round(v.failureMarker!.x);
    let red = 0;
    for (let y = v.lanes[1]!.y; y < v.lanes[1]!.y + v.lanes[1]!.height; y += 2) if (near(await pixel(page, fx, y), [0xb7, 0x1c, 0x1c], 60)) red++;
    expect(red).toBeGreaterThan(5);

    // Click a crash marker: the side panel shows it.
    const crash = trace.events.findIndex((e) => e.k === 'crash');
    const crashEvent = trace.events[crash]!;
    const at = await locate(page, crash);
    expect(at).not.toBeNull();
    await page.mouse.click(at!.clientX, at!.clientY);
    await page.waitForFunction(() => (window as unknown as { __traceView: TraceView }).__traceView.clicks === 1);
    v = await view(page);
    expect(v.selected).toMatchObject({ type: 'mark', event: crash });
    const panelText = await page.locator('#panel').innerText();
    expect(panelText).toContain('crash');
    expect(panelText).toContain(crashEvent.k === 'crash' ? `S${crashEvent.s}` : '?');
    await page.screenshot({ path: join(artifacts, 'trace-page.png') });

    // Click a dropped request: the panel shows the RPC's steps.
    const dropped = trace.events.findIndex((e) => e.k === 'rpc' && e.fate === 'request-dropped');
    if (dropped >= 0) {
      const rpc = trace.events[dropped]!;
      const first = trace.events.findIndex((e) => e.k === 'rpc' && rpc.k === 'rpc' && e.id === rpc.id);
      const p = await locate(page, first);
      expect(p).not.toBeNull();
      await page.mouse.click(p!.clientX, p!.clientY);
      await page.waitForFunction(() => (window as unknown as { __traceView: TraceView }).__traceView.clicks === 2);
      const text = await page.locator('#panel').innerText();
      if ((await view(page)).selected?.type === 'arrow') expect(text).toMatch(/outcome/);
    }

    // Jump to the failure: the view narrows around it, it is highlighted and described.
    const before = await view(page);
    await page.click('#fail-btn');
    await page.waitForFunction((t0) => (window as unknown as { __traceView: TraceView }).__traceView.view.t0 !== t0, before.view.t0);
    v = await view(page);
    const centre = (v.view.t0 + v.view.t1) / 2;
    expect(v.view.t1 - v.view.t0).toBeLessThan(before.view.t1 - before.view.t0);
    expect(Math.abs(centre - trace.events[failure]!.t)).toBeLessThan((v.view.t1 - v.view.t0) * 0.01);
    expect(v.highlight).toBe(trace.events[failure]!.t);
    expect(v.failureMarker!.visible).toBe(true);
    expect(Math.abs(v.failureMarker!.x - (v.canvas.labelWidth + v.canvas.width) / 2)).toBeLessThan(3);
    expect(v.selected?.event).toBe(failure);
    expect(await page.locator('#panel').innerText()).toContain('checkLogs');
    await page.screenshot({ path: join(artifacts, 'trace-page-failure.png') });

    // Zoom with the wheel, pan by dragging.
    let span = v.view.t1 - v.view.t0;
    const cx = v.canvas.left + v.canvas.width / 2;
    const cy = v.canvas.top + v.lanes[2]!.midY;
    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((s) => { const w = (window as unknown as { __traceView: TraceView }).__traceView.view; return w.t1 - w.t0 < s; }, span);
    v = await view(page);
    span = v.view.t1 - v.view.t0;
    const t0 = v.view.t0;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 200, cy, { steps: 5 });
    await page.mouse.up();
    v = await view(page);
    expect(v.view.t0).toBeLessThan(t0);
    expect(v.view.t1 - v.view.t0).toBeCloseTo(span, 6);

    // Filters: hide a lane, hide an RPC type.
    await page.click('#zoom-fit');
    await page.waitForFunction(() => (window as unknown as { __traceView: TraceView }).__traceView.view.t0 <= 0);
    const all = (await view(page)).drawnArrows;
    await page.locator('input[data-method="Raft.AppendEntries"]').uncheck();
    await page.waitForFunction((n) => (window as unknown as { __traceView: TraceView }).__traceView.drawnArrows < n, all);
    await page.locator('input[data-lane="1"]').uncheck();
    await page.waitForFunction(() => !(window as unknown as { __traceView: TraceView }).__traceView.lanes[1]!.visible);

    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('a 100 000-event trace is interactive quickly', async () => {
    const trace = await makeTrace({ servers: 5, durationMs: 90_000, heartbeatMs: 10, startEveryMs: 40, faultEveryMs: 2000, fail: true }, 'browser-perf', 100_000);
    expect(trace.events).toHaveLength(100_000);
    expect(trace.droppedEvents).toBeGreaterThan(0);
    const url = writePage(trace, 'big.html');
    const errors: string[] = [];
    // From navigation (the browser and its tab already open) to a handled click.
    let start = 0;
    const page = await openPage(url, errors, () => {
      start = performance.now();
    });
    const readyMs = performance.now() - start;
    const v = await view(page);
    // One click, handled: then the page is interactive.
    await page.mouse.click(v.canvas.left + v.canvas.width / 2, v.canvas.top + v.lanes[0]!.bandY + 4);
    await page.waitForFunction(() => (window as unknown as { __traceView: TraceView }).__traceView.clicks === 1);
    const interactiveMs = performance.now() - start;
    const after = await view(page);
    expect(after.selected).not.toBeNull();
    // A full-width redraw with everything in view.
    const redraw = await page.evaluate(async () => {
      const before = (window as unknown as { __traceView: TraceView }).__traceView.drawCount;
      (document.getElementById('zoom-in') as HTMLButtonElement).click();
      while ((window as unknown as { __traceView: TraceView }).__traceView.drawCount === before) await new Promise((r) => requestAnimationFrame(r));
      return (window as unknown as { __traceView: TraceView }).__traceView.lastDrawMs;
    });
    const report = `trace_page_100k_interactive_ms=${interactiveMs.toFixed(0)} ready_ms=${readyMs.toFixed(0)} first_draw_ms=${v.firstDrawAt.toFixed(0)} draw_ms=${v.lastDrawMs.toFixed(1)} zoom_redraw_ms=${redraw.toFixed(1)} arrows=${v.drawnArrows} markers=${v.drawnMarkers} (target ${interactiveTargetMs} ms)`;
    console.log(report);
    writeFileSync(join(artifacts, 'trace-perf.txt'), `${report}\n`);
    expect(interactiveMs).toBeLessThan(interactiveLimitMs);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
