import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runClusterCommand, runDemoCommand } from '../index.ts';
import { findFreePorts } from '../ports.ts';
import { processAlive, readState, stopCluster } from '../supervisor.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-command-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function lab(...argv: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runClusterCommand(argv, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

describe('lab cluster, usage', () => {
  test('help, unknown commands and bad arguments say what to type', async () => {
    expect(await lab('--help')).toMatchObject({ code: 0, text: expect.stringMatching(/lab cluster start -n 3/) });
    expect(await lab('start', '--help')).toMatchObject({ code: 0, text: expect.stringMatching(/--port PORT +node i listens on PORT\+i/) });
    expect(await lab('explode')).toMatchObject({ code: 2, text: expect.stringMatching(/unknown command "explode"; the commands are start, status/) });
    expect(await lab('start', '-n', 'three')).toMatchObject({ code: 2, text: expect.stringMatching(/--nodes needs a number, got "three"/) });
    expect(await lab('start', '--id', '1')).toMatchObject({ code: 2, text: expect.stringMatching(/--id and --peers go together/) });
    expect(await lab('status', '--data', path.join(root, 'none'))).toMatchObject({ code: 1, text: expect.stringMatching(/no cluster in .*none .*lab cluster start -n 3/) });
    const demo: string[] = [];
    expect(await runDemoCommand(['--help'], (l) => demo.push(l))).toBe(0);
    expect(demo.join('\n')).toMatch(/lab demo \[--port 7100\]/);
  });
});

describe('lab cluster, for real', () => {
  test('start, status, put/get, kill, restart, partition, heal, stop', async () => {
    const data = path.join(root, 'c');
    const port = String(await findFreePorts(3));
    try {
      expect(await lab('start', '-n', '3', '--port', port, '--data', data)).toMatchObject({ code: 0, text: expect.stringMatching(/cluster of 3 started/) });
      expect(await lab('start', '-n', '3', '--port', port, '--data', data)).toMatchObject({ code: 1, text: expect.stringMatching(/already running .*lab cluster stop/) });
      expect(await lab('put', 'k', 'v1', '--data', data)).toMatchObject({ code: 0, text: expect.stringMatching(/ok \(applied by leader \d\)/) });
      expect(await lab('get', 'k', '--data', data)).toMatchObject({ code: 0, text: 'v1' });
      const status = await lab('status', '--data', data);
      expect(status.text).toMatch(/NODE +ADDRESS +PID +STATE +ROLE +TERM +LEADER +LOG +COMMIT +APPLIED +SNAPSHOT +REACHES/);
      expect(status.text).toMatch(/leader: \d/);
      const json = JSON.parse((await lab('status', '--json', '--data', data)).text) as { nodes: { status: { role: string } | null }[] };
      const leader = json.nodes.findIndex((n) => n.status?.role === 'leader');
      expect(leader).toBeGreaterThanOrEqual(0);

      const pid = readState(data).nodes[leader]!.pid!;
      expect(await lab('kill', String(leader), '--data', data)).toMatchObject({ code: 0, text: `node ${leader} killed (SIGKILL)` });
      // Gone once reaped (this test process is its parent, so it lingers as a zombie until then).
      for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 10));
      expect(processAlive(pid)).toBe(false);
      expect(await lab('put', 'k', 'v2', '--data', data)).toMatchObject({ code: 0 });
      expect((await lab('status', '--data', data)).text).toMatch(new RegExp(`\\n${leader} +\\S+ +- +down`));
      expect(await lab('restart', String(leader), '--data', data)).toMatchObject({ code: 0, text: expect.stringMatching(/up at/) });

      expect(await lab('partition', '0/1', '--data', data)).toMatchObject({ code: 1, text: expect.stringMatching(/node 2 is on no side/) });
      // Cut off a follower: a put sent first to a leader cut off from the majority would rightly
      // end "outcome unknown" after its timeout.
      const leaderNow = Number(/leader: (\d)/.exec((await lab('status', '--data', data)).text)?.[1] ?? '0');
      const alone = (leaderNow + 1) % 3;
      const rest = [0, 1, 2].filter((n) => n !== alone).join(',');
      expect(await lab('partition', String(alone), '--data', data)).toMatchObject({ code: 0, text: expect.stringContaining(`{${alone}} | {${rest}}`) });
      expect((await lab('status', '--data', data)).text).toContain(`network: partitioned ${alone} / ${rest}`);
      expect(await lab('put', 'k', 'v3', '--data', data)).toMatchObject({ code: 0 });
      expect(await lab('heal', '--data', data)).toMatchObject({ code: 0 });
      expect(await lab('get', 'k', '--data', data)).toMatchObject({ code: 0, text: 'v3' });

      expect(await lab('stop', '--data', data)).toMatchObject({ code: 0, text: expect.stringMatching(/stopped nodes 0, 1, 2/) });
      expect(readState(data).nodes.every((n) => n.pid === null)).toBe(true);
      // The state stays: started again, the cluster still has the value.
      expect(await lab('start', '-n', '3', '--port', port, '--data', data)).toMatchObject({ code: 0 });
      expect(await lab('get', 'k', '--data', data)).toMatchObject({ code: 0, text: 'v3' });
    } finally {
      if (fs.existsSync(path.join(data, 'cluster.json'))) await stopCluster(readState(data));
    }
  }, 60_000);
});
