/**
 * The Wing–Gong linearizability search with Lowe's memoization, on one partition.
 *
 * Walk the entry list from its head. At a call entry, try to linearize that operation now:
 * if the model accepts its output in the current state and the resulting configuration
 * (linearized set, state) is new, unlink it, push it on the stack and restart from the head.
 * Otherwise move on to the next entry. Reaching a return entry means its operation should
 * already be linearized and is not: backtrack (pop, relink, try the entry after the popped
 * call). The list empties: linearizable. The stack empties at a return: not linearizable.
 *
 * Two loops implement it: one for models whose states compare by identity (the default
 * `equal`), which interns states to integers so that the memo never calls the model
 * (search-interned.ts), and one for models with their own `equal` (search-general.ts).
 * Both visit configurations in the same order, so they give the same answers.
 */
import { searchWithEqual } from './search-general.ts';
import { searchInterned } from './search-interned.ts';
import { shallowEqual } from './model.ts';
import type { CheckResult, FullModel, Operation } from './types.ts';
import type { EntryList } from './entries.ts';
import type { KvProgram } from './kv-program.ts';

export interface SearchRequest<S, I, O> {
  readonly model: FullModel<S, I, O>;
  readonly operations: readonly Operation<I, O>[];
  readonly list: EntryList<I, O>;
  /** For error messages. */
  readonly partitionIndex: number;
  /** Real time (see clock.ts) at which to give up; Infinity for never. */
  readonly deadline: number;
  /** Whether to record, per operation, the longest partial linearization containing it. */
  readonly recordPartials: boolean;
  /**
   * Shared with the caller when the search runs on a checker thread (see worker.ts): the
   * search stops as soon as `control[ABORT]` is set, and bumps `control[HEARTBEAT]`.
   */
  readonly control?: Int32Array;
  /**
   * The model steps exactly as `kvModel` (see `stepsLikeKvModel`): the search may run the
   * step compiled to integers (kv-program.ts) instead of calling it.
   */
  readonly kvSteps?: boolean;
  /** The partition's step already compiled (a checker thread decodes it from kv-wire.ts). */
  readonly kvProgram?: KvProgram;
}


export interface SearchOutcome {
  readonly result: CheckResult;
  /**
   * Per operation, the longest partial linearization found that contains it (operation
   * indices in order; shared arrays), when recording. Undefined entries: never linearized.
   */
  readonly longest: readonly (readonly number[] | undefined)[];
}

/** Searches one partition for a linearization. */
export function searchPartition<S, I, O>(request: SearchRequest<S, I, O>): SearchOutcome {
  return request.model.equal === shallowEqual ? searchInterned(request) : searchWithEqual(request);
}
