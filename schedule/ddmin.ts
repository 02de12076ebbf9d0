/**
 * The search of `lab shrink`: delta debugging (Zeller's ddmin) over the faults and message
 * fates of a failing run, with two additions that matter for distributed runs:
 *  - first whole categories are tried away (every message delay, every drop...), one run each,
 *    since most failures need only one or two kinds of fault;
 *  - a candidate that still fails is narrowed further to the units that actually happened in
 *    it (a kept fault may never come about once earlier ones are gone), as DEMi does.
 * The oracle runs the test with a candidate schedule and says whether it fails the same way.
 * A budget in runs or in real time bounds the search; when it runs out the best schedule found
 * so far is returned.
 */

/** One thing the search may leave out: a fault or a message fate, by its schedule id. */
export interface SearchUnit {
  id: string;
  /** Its category (its kind: crash, request-drop...), for the first, coarse pass. */
  category: string;
}

/** What a run with a candidate schedule gave. */
export interface Trial {
  /** It failed the same way as the original run. */
  sameFailure: boolean;
  /** The ids of the candidate that actually happened in the run. */
  happened: readonly string[];
}

export type Oracle = (keep: readonly string[]) => Promise<Trial>;

export interface SearchBudget {
  /** At most this many runs (the original replays not counted). */
  runs?: number;
  /** At most this much real time, in ms. */
  realMs?: number;
}

export interface SearchProgress {
  runs: number;
  /** Units in the best failing schedule so far. */
  best: number;
  /** What the search is doing, in a few words. */
  phase: string;
  /** The candidate just tried, and whether it kept the failure. */
  tried: number;
  kept: boolean;
}

export interface SearchResult {
  /** The smallest failing schedule found: the ids to keep. */
  keep: string[];
  runs: number;
  /** False when the budget ran out before the search was done. */
  complete: boolean;
}

class BudgetSpent extends Error {}

/** Searches for a small subset of `units` (in run order) that still fails the same way. */
export async function searchSchedule(units: readonly SearchUnit[], oracle: Oracle, budget: SearchBudget, onProgress?: (p: SearchProgress) => void, nowMs: () => number = () => performance.now()): Promise<SearchResult> {
  const startMs = nowMs();
  const order = new Map(units.map((u, i) => [u.id, i]));
  const category = new Map(units.map((u) => [u.id, u.category]));
  let best: string[] = units.map((u) => u.id);
  let runs = 0;
  let phase = 'start';

  /** Runs one candidate; on the same failure, the best shrinks to what happened in it. */
  const attempt = async (keep: readonly string[]): Promise<boolean> => {
    if (budget.runs !== undefined && runs >= budget.runs) throw new BudgetSpent();
    if (budget.realMs !== undefined && nowMs() - startMs >= budget.realMs) throw new BudgetSpent();
    runs++;
    const trial = await oracle(keep);
    if (trial.sameFailure) {
      const candidate = new Set(keep);
      const happened = trial.happened.filter((id) => candidate.has(id) && order.has(id));
      happened.sort((a, b) => order.get(a)! - order.get(b)!);
      if (happened.length <= best.length) best = happened;
    }
    onProgress?.({ runs, best: best.length, phase, tried: keep.length, kept: trial.sameFailure });
    return trial.sameFailure;
  };

  try {
    phase = 'no faults at all';
    if (best.length > 0 && (await attempt([]))) return { keep: best, runs, complete: true };
    // Coarse pass: the categories with the most units first, each tried away as a whole.
    const categories = [...new Set(best.map((id) => category.get(id)!))];
    categories.sort((a, b) => count(best, category, b) - count(best, category, a));
    for (const c of categories) {
      phase = `without any ${c}`;
      const without = best.filter((id) => category.get(id) !== c);
      if (without.length < best.length) await attempt(without);
    }
    phase = 'ddmin';
    await ddmin(() => best, attempt);
    return { keep: best, runs, complete: true };
  } catch (e) {
    if (e instanceof BudgetSpent) return { keep: best, runs, complete: false };
    throw e;
  }
}

/** ddmin on the current best: tries each chunk alone, then each complement, refining until 1-minimal. */
async function ddmin(current: () => string[], attempt: (keep: readonly string[]) => Promise<boolean>): Promise<void> {
  let n = 2;
  for (;;) {
    const set = current();
    // One unit left: leaving it out too was the first thing tried.
    if (set.length <= 1) return;
    n = Math.min(n, set.length);
    const chunks = split(set, n);
    let reduced = false;
    for (const chunk of chunks) {
      if (await attempt(chunk)) {
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (let k = 0; k < chunks.length; k++) {
        const complement = chunks.filter((_, j) => j !== k).flat();
        if (await attempt(complement)) {
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (n >= set.length) return;
    n = Math.min(n * 2, set.length);
  }
}

/** Splits `items` into n runs of nearly equal length, keeping their order. */
export function split<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const end = start + Math.floor((items.length - start) / (n - k));
    out.push(items.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
}

function count(ids: readonly string[], category: Map<string, string>, c: string): number {
  return ids.filter((id) => category.get(id) === c).length;
}
