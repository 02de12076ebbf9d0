/**
 * The playground's numbers, measured in Debian's headless Chromium:
 *   npx tsx playground/bench.ts
 * frame rate with 5 servers at real-time speed (a blank page's rate alongside, measured in the
 * same minute), time from saving the Raft file to the page running the new code, and time to
 * jump back to instants of a 60-simulated-second run. Ends with lines `name=value`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { chromium, type Page } from 'playwright-core';
import { Session, immediateHost, projectRoot, servePlayground } from './index.ts';

const liveDir = join(projectRoot, '.lab', 'playground-bench');
const liveRaft = join(liveDir, 'raft.ts');
const reexport = (note: string): string => `// ${note}\nexport * from '../../raft/raft.ts';\n`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Frames per second of requestAnimationFrame over `ms`, counted in the page (a string: no helpers leak in). */
const countFrames = (ms: number): string => `new Promise((done) => {
  let frames = 0; const t0 = performance.now();
  const tick = () => { frames++; if (performance.now() - t0 < ${ms}) requestAnimationFrame(tick); else done(frames * 1000 / (performance.now() - t0)); };
  requestAnimationFrame(tick);
})`;

const state = (page: Page, expr: string): Promise<unknown> => page.evaluate(`(() => { const v = window.__playground; return ${expr}; })()`);

async function waitFor(page: Page, expr: string, timeoutMs = 400_000): Promise<void> {
  await page.waitForFunction(`(() => { const v = window.__playground; return ${expr}; })()`, undefined, { timeout: timeoutMs, polling: 5 });
}

async function main(): Promise<void> {
  // Baseline in the same minute: the same 60 s run replayed in Node, before the browser starts.
  const nodeRun = await new Session({ seed: '11', scene: 'election', servers: 5, dropRate: 0, delayMinMs: 10, delayMaxMs: 30 }, [], immediateHost).run(60_000);
  const baseline = `node_replay_60s_ms=${nodeRun.realMs.toFixed(0)} (${nodeRun.events} events, ${((nodeRun.realMs * 1000) / nodeRun.events).toFixed(0)} us each)`;
  mkdirSync(liveDir, { recursive: true });
  writeFileSync(liveRaft, reexport('bench 0'));
  const server = await servePlayground({ port: 0, raftFile: liveRaft });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const lines: string[] = [baseline];
  try {
    // Frame rate: three rounds of a blank page, then the playground at real time, 5 servers.
    const fps: number[] = [];
    const blank: number[] = [];
    const drawMs: number[] = [];
    for (let round = 0; round < 3; round++) {
      const b = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      blank.push((await b.evaluate(countFrames(3000))) as number);
      await b.close();
      const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
      await page.goto(`${server.url}?seed=${round + 1}&scene=election&servers=5&speed=1`);
      await waitFor(page, 'v.ready && v.frame.timeMs > 500');
      fps.push((await page.evaluate(countFrames(3000))) as number);
      drawMs.push((await state(page, 'v.drawMs')) as number);
      await page.close();
    }
    lines.push(`playground_fps_5_nodes_real_time_median=${median(fps).toFixed(1)} (rounds ${fps.map((x) => x.toFixed(1)).join(',')})`);
    lines.push(`playground_draw_ms_per_frame_median=${median(drawMs).toFixed(2)} (the page's own drawing; 16.7 ms is one frame at 60 fps)`);
    lines.push(`blank_page_fps_median=${median(blank).toFixed(1)} (rounds ${blank.map((x) => x.toFixed(1)).join(',')})`);

    // Save to running: five saves while the election scene plays.
    const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
    await page.goto(`${server.url}?seed=5&scene=election&speed=1`);
    await waitFor(page, 'v.ready && v.codeVersion > 0 && v.frame.timeMs > 500');
    const saves: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const before = (await state(page, 'v.codeVersion')) as number;
      const t0 = Date.now();
      writeFileSync(liveRaft, reexport(`bench ${i}`));
      await waitFor(page, `v.codeVersion > ${before} && v.firstFrameAt > 0`, 30_000);
      saves.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 500));
    }
    lines.push(`playground_save_to_running_ms_median=${median(saves)} (saves ${saves.join(',')})`);

    // Jump back in a 60-simulated-second run, once its checkpoints are built.
    await page.goto(`${server.url}?seed=11&scene=election&servers=5&speed=max`);
    await waitFor(page, 'v.ready && v.frame.timeMs >= 60000');
    await page.click('#play');
    await waitFor(page, 'v.paused');
    // Every checkpoint of the 60 s run built (the page builds them one at a time in the background).
    const allCheckpoints = 'v.checkpoints.some((c) => c[0] === 60000) && v.checkpoints.every((c) => c[1])';
    await waitFor(page, allCheckpoints);
    const jumps: number[] = [];
    for (const target of [59_900, 9_900, 35_000, 49_900, 1_000, 29_900]) {
      const ms = (await page.evaluate(`(async () => {
        const v = window.__playground;
        const slider = document.getElementById('time');
        const from = v.frame.events;
        const t0 = performance.now();
        slider.value = String(Math.round((${target} / v.maxTimeMs) * 1000));
        slider.dispatchEvent(new Event('change'));
        while (!(v.paused && v.frame.events !== from && Math.abs(v.frame.timeMs - ${target}) < 100)) await new Promise((r) => setTimeout(r, 1));
        return performance.now() - t0;
      })()`)) as number;
      jumps.push(ms);
      // Let the used checkpoint be rebuilt, as it would be while a person looks at the page.
      await waitFor(page, allCheckpoints);
    }
    lines.push(`playground_jump_back_ms_max=${Math.max(...jumps).toFixed(0)} median=${median(jumps).toFixed(0)} (to 59.9,9.9,35,49.9,1,29.9 s: ${jumps.map((j) => j.toFixed(0)).join(',')})`);
    await page.close();
  } finally {
    await browser.close();
    await server.close();
    rmSync(liveDir, { recursive: true, force: true });
  }
  lines.push(`load_average_1min=${loadavg()[0]!.toFixed(2)}`);
  for (const line of lines) console.log(line);
}

await main();
