import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/index.ts';
import { TraceRecorder, parseTrace, renderTraceHtml, setActiveRecorder, type Trace } from '../index.ts';
import { runScenario } from './scenario.ts';

async function scenarioTrace(): Promise<Trace> {
  const rec = new TraceRecorder();
  setActiveRecorder(rec);
  rec.attachLogs();
  rec.meta({ test: 'TestFigure8 <2C>', seed: '99', mode: 'virtual' });
  try {
    await runSimulation(() => runScenario({ servers: 3, durationMs: 3000, fail: true }), { seed: 'trace-html', mode: 'virtual' });
  } finally {
    rec.detach();
    setActiveRecorder(undefined);
  }
  // A student line that tries to close the script element and to load something.
  rec.log('raft:S1', '</script><script src="https://evil.example/x.js"></script><!-- ');
  return rec.toJSON();
}

describe('renderTraceHtml', () => {
  it('is one self-contained page: no URL references, no external resources', async () => {
    const trace = await scenarioTrace();
    const page = renderTraceHtml(trace);
    // Outside the embedded data there is no URL at all...
    const withoutData = page.replace(/<script id="trace-data" type="application\/json">[\s\S]*?<\/script>/, '');
    expect(withoutData).not.toMatch(/https?:/i);
    expect(withoutData).not.toMatch(/\b(src|href)\s*=/i);
    expect(withoutData).not.toMatch(/@import|url\(|fetch\(|XMLHttpRequest|import\(/);
    // ...and the data cannot end its script element: the page has exactly two.
    expect(page.match(/<\/script>/g)).toHaveLength(2);
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page).toContain('<canvas id="cv">');
    // The title is escaped.
    expect(page).toContain('<title>trace: TestFigure8 &#60;2C&#62;</title>');
  });

  it('embeds the whole trace, which reads back unchanged', async () => {
    const trace = await scenarioTrace();
    const page = renderTraceHtml(trace);
    expect(parseTrace(page, 'page')).toEqual(trace);
    expect(trace.events.some((e) => e.k === 'failure')).toBe(true);
    expect(trace.events.filter((e) => e.k === 'rpc').length).toBeGreaterThan(100);
  });
});
