/** The visualization page: self-contained, carries the data, and its script works. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { checkOperationsVerbose, kv, kvModel, visualize, visualizePath, type Annotation } from '../index.ts';
import { runPage } from './fake-dom.ts';

// Key 'k' fails: client 2 reads '' after client 1 saw 'new'. Key 'z' is fine.
const history = [
  kv.put(0, 'k', 'new', 0, 100),
  kv.get(1, 'k', 'new', 10, 30),
  kv.get(2, 'k', '', 40, 90),
  kv.append(3, 'z', '</script><b>', 0, 10),
  kv.get(3, 'z', '</script><b>', 20, 30),
];
const annotations: Annotation[] = [
  { time: 5, endTime: 60, label: 'partition {0,1} | {2}', description: 'leader cut off', kind: 'fault' },
  { time: 95, label: 'check appends', kind: 'check' },
];
const { result, info } = checkOperationsVerbose(kvModel, history, 0);
const page = visualize(kvModel, info, { title: 'Test: many clients (3A)', annotations });

function embeddedData(html: string) {
  const json = /<script id="porcupine-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1];
  return JSON.parse(json);
}

describe('visualize', () => {
  it('is one self-contained page: nothing fetched from anywhere', () => {
    expect(result).toBe('Illegal');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<link\b|\bsrc\s*=|@import|url\(/i);
    expect(page).toContain('<style>');
  });

  it('keeps user strings from closing the script element early', () => {
    // The only two </script> are the ones that close the page's own scripts.
    expect(page.split('</script>')).toHaveLength(3);
    const data = embeddedData(page);
    expect(data.strings).toContain("append('z', '</script><b>')");
  });

  it('carries the operations, partitions, linearizations and annotations', () => {
    const data = embeddedData(page);
    expect(data.title).toBe('Test: many clients (3A)');
    expect(data.result).toBe('Illegal');
    expect(data.partitions.map((p: { label: number }) => data.strings[p.label])).toEqual(['key "k"', 'key "z"']);
    const [k, z] = data.partitions;
    expect(k.result).toBe('Illegal');
    expect(k.calls).toEqual([0, 10, 40]);
    expect(k.returns).toEqual([100, 30, 90]);
    expect(k.failedOperation).toBe(2);
    expect(k.descriptions.map((d: number) => data.strings[d])).toEqual([
      "put('k', 'new')",
      "get('k') -> 'new'",
      "get('k') -> ''",
    ]);
    // The longest partial linearization: put, then the first get; the state after each step.
    expect(k.linearizations[0].operations).toEqual([0, 1]);
    expect(k.linearizations[0].states.map((s: number) => data.strings[s])).toEqual(["'new'", "'new'"]);
    expect(z.result).toBe('Ok');
    expect(z.linearizations[0].operations).toEqual([0, 1]);
    expect(data.annotations).toEqual([
      { time: 5, endTime: 60, label: 'partition {0,1} | {2}', description: 'leader cut off', kind: 'fault' },
      { time: 95, endTime: null, label: 'check appends', description: '', kind: 'check' },
    ]);
  });

  it('has a script that parses', () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1];
    expect(() => new vm.Script(script)).not.toThrow();
  });

  it('draws a bar per operation and a track per client, with roles', () => {
    const view = runPage(page);
    const bars = view.bars();
    expect(bars).toHaveLength(history.length);
    const k = bars.filter((bar) => bar.dataset.partition === '0');
    expect(k.map((bar) => bar.className.split(' ')[1])).toEqual(['lin', 'lin', 'failed']);
    expect(k[0].textContent).toBe("#1 put('k', 'new')");
    const labels = view.all().filter((e) => e.className === 'label').map((e) => e.textContent);
    expect(labels).toEqual(expect.arrayContaining(['time', 'faults and checks', 'key "k"', 'client 0', 'client 1', 'client 2', 'key "z"', 'client 3']));
    expect(view.all().some((e) => e.className.includes('ann kind-fault') && e.textContent === 'partition {0,1} | {2}')).toBe(true);
    expect(view.all().some((e) => e.className === 'fail-line')).toBe(true);
    expect(view.element('verdict').textContent).toBe('Illegal');
  });

  it('jumps to the first error and explains it', () => {
    const view = runPage(page);
    view.element('jump').onclick!({});
    const failed = view.element('op-0-2');
    expect(failed.classList.contains('pulse')).toBe(true);
    expect(failed.classList.contains('selected')).toBe(true);
    expect(failed.scrolledIntoView).toBe(true);
    const details = view.element('details').textContent;
    expect(details).toContain("get('k') -> ''");
    expect(details).toContain('gets stuck here');
    expect(details).toContain("state after the 2 linearized operations: 'new'");
    view.pressKey('e'); // the keyboard shortcut does the same, without throwing
  });

  it('shows details on hover and pins on click', () => {
    const view = runPage(page);
    const bar = view.element('op-0-0');
    view.timeline.dispatch('mouseover', { target: bar });
    expect(view.element('details').textContent).toContain("step 1 of 2 in the shown linearization");
    expect(view.element('details').textContent).toContain("state after: 'new'");
    view.timeline.dispatch('click', { target: bar });
    expect(view.element('op-0-0').classList.contains('selected')).toBe(true);
    const annotation = view.all().find((e) => e.dataset.annotation === '0')!;
    view.timeline.dispatch('mouseover', { target: annotation });
    expect(view.element('details').textContent).toContain('leader cut off');
    view.timeline.dispatch('mouseleave', {});
    expect(view.element('details').textContent).toContain("put('k', 'new')");
  });

  it('survives zoom, linear scale and the failing-only filter', () => {
    const view = runPage(page);
    view.element('zoom-in').onclick!({});
    view.element('zoom-fit').onclick!({});
    view.element('scale').onchange!({ target: { value: 'linear' } });
    expect(view.bars()).toHaveLength(history.length);
    view.element('only-illegal').onchange!({ target: { checked: true } });
    expect(view.bars()).toHaveLength(3);
  });

  it('disables the jump for a linearizable history', () => {
    const ok = checkOperationsVerbose(kvModel, history.slice(3), 0);
    const view = runPage(visualize(kvModel, ok.info));
    expect(view.element('jump').disabled).toBe(true);
    expect(view.element('verdict').textContent).toBe('Ok');
  });

  it('shortens huge states and draws operations that never returned', () => {
    const long = 'x'.repeat(50_000);
    const { info: big } = checkOperationsVerbose(kvModel, [kv.put(0, 'k', long, 0, Infinity), kv.get(1, 'k', long, 5, 6)], 0);
    const html = visualize(kvModel, big, { maxStateChars: 100 });
    const data = embeddedData(html);
    expect(data.partitions[0].returns).toEqual([null, 6]);
    expect(data.strings.some((s: string) => s.includes('characters cut'))).toBe(true);
    expect(runPage(html).bars()[0].className).toContain('open');
  });

  it('writes the page to a file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'porcupine-')), 'history.html');
    visualizePath(kvModel, info, path, { annotations });
    expect(readFileSync(path, 'utf8')).toBe(visualize(kvModel, info, { annotations }));
  });
});
