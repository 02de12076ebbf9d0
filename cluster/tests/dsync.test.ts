/**
 * With fsync on, a flush is one durable write: the log must be open with O_DSYNC (there is no
 * fdatasync after the write any more). Linux only: it reads the open flags in /proc.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { DiskPersister, logFileName } from '../disk-persister.ts';

const dsync = (fs.constants as Record<string, number | undefined>).O_DSYNC;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The open flags of this process's descriptors on `file` (from /proc/self/fdinfo). */
function openFlags(file: string): number[] {
  const flags: number[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    if (target !== file) continue;
    const line = /^flags:\s+([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (line !== null) flags.push(parseInt(line[1]!, 8));
  }
  return flags;
}

async function logFlagsAfterSaves(fsync: boolean): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlab-dsync-'));
  dirs.push(dir);
  const p = DiskPersister.open(dir, { fsync });
  // The first flush writes a new log file; the second appends to it through the open log.
  p.Save(new Uint8Array([1, 2, 3]), null);
  await p.durable();
  p.Save(new Uint8Array([1, 2, 3, 4]), null);
  await p.durable();
  const flags = openFlags(path.join(dir, logFileName));
  await p.close();
  return flags;
}

test.runIf(process.platform === 'linux' && dsync !== undefined)('the log is appended with O_DSYNC when fsync is on, and without when it is off', async () => {
  const on = await logFlagsAfterSaves(true);
  expect(on).toHaveLength(1);
  expect(on[0]! & dsync!).toBe(dsync);
  const off = await logFlagsAfterSaves(false);
  expect(off).toHaveLength(1);
  expect(off[0]! & dsync!).toBe(0);
});
