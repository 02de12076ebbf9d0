/**
 * The search of `lab shrink`: delta debugging over the faults and message fates of a failing
 * run. Zeller's ddmin splits the set in halves, then quarters...; here the needed units are
 * found one by one by binary search over prefixes (see prefixSearch), which needs far fewer
 * runs when a failure needs a few units out of thousands, and ends 1-minimal (no single kept
 * unit can go). Two more steps matter for distributed runs:
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
    phase = 'binary search';
    await prefixSearch(best, attempt);
    phase = 'one by one';
    await oneByOne(() => best, attempt);
    return { keep: best, runs, complete: true };
  } catch (e) {
    if (e instanceof BudgetSpent) return { keep: best, runs, complete: false };
    throw e;
  }
}

/**
 * Finds the units the failure needs one at a time, latest first: the shortest prefix of the
 * candidates that, with the units already found, still fails ends with a needed unit (binary
 * search), and everything after it can go. k needed units out of n cost about k·log2(n) runs,
 * where plain ddmin pays far more once the needed units sit in different halves.
 */
async function prefixSearch(start: readonly string[], attempt: (keep: readonly string[]) => Promise<boolean>): Promise<string[]> {
  const needed: string[] = [];
  let rest = [...start];
  for (;;) {
    // The shortest prefix length in [0, rest.length] that fails with `needed`; rest.length does.
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await attempt([...needed, ...rest.slice(0, mid)])) hi = mid;
      else lo = mid + 1;
    }
    if (hi === 0) return needed;
    needed.unshift(rest[hi - 1]!);
    rest = rest.slice(0, hi - 1);
  }
}

/** Tries each unit away on its own, so that no single one of the result can go (1-minimal). */
async function oneByOne(current: () => string[], attempt: (keep: readonly string[]) => Promise<boolean>): Promise<void> {
  for (let k = 0; k < current().length; ) {
    const set = current();
    const before = set.length;
    await attempt(set.filter((_, j) => j !== k));
    if (current().length === before) k++;
  }
}

function count(ids: readonly string[], category: Map<string, string>, c: string): number {
  return ids.filter((id) => category.get(id) === c).length;
}
