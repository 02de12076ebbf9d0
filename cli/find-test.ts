import { UsageError } from './errors.ts';
import { existingParts, type PartMap } from './parts.ts';
import { listTests, type PlannedTest } from './run.ts';

/**
 * The one test TEST names: its full name, or a substring (any case) that only one test has.
 * Every part whose test file exists is searched.
 */
export async function findOneTest(map: PartMap, query: string): Promise<PlannedTest> {
  const parts = existingParts(map);
  if (parts.length === 0) throw new UsageError('no part has its test files yet, so there is no test to find');
  // Full names say their part ("Test (2A): …", "Test: one client (3A)"): look there first, which
  // spares loading every other test file (the replay commands of reports always hit this).
  const hinted = parts.filter((p) => query.includes(`(${p})`));
  if (hinted.length > 0) {
    const exact = (await listTests(map, hinted)).filter((t) => t.name === query);
    if (exact.length === 1) return exact[0]!;
  }
  const tests = await listTests(map, parts);
  const exact = tests.filter((t) => t.name === query);
  if (exact.length === 1) return exact[0]!;
  const lower = query.toLowerCase();
  const matches = tests.filter((t) => t.name.toLowerCase().includes(lower));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const sample = tests.slice(0, 40).map((t) => `  ${t.name}`);
    const more = tests.length > 40 ? [`  … and ${tests.length - 40} more`] : [];
    throw new UsageError(`no test is named "${query}" or has it in its name; the tests are:\n${[...sample, ...more].join('\n')}`);
  }
  throw new UsageError(`"${query}" is in the names of ${matches.length} tests; give the full name (in quotes) or a longer part of it:\n${matches.map((t) => `  ${t.name}`).join('\n')}`);
}
