import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm test without Chromium', () => {
  it('skips the browser tests of the trace page instead of failing (outside CI)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LAB_CHROMIUM: '/nonexistent/chromium' };
    delete env.CI;
    delete env.VITEST;
    delete env.VITEST_WORKER_ID;
    delete env.VITEST_POOL_ID;
    const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'trace/tests/browser.test.ts'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    const out = run.stdout + run.stderr;
    expect(run.status, out).toBe(0);
    expect(out).toContain('skipped: no Chromium at /nonexistent/chromium');
    expect(out).toMatch(/Tests\s+.*skipped/);
  }, 150_000);
});
