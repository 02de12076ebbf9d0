/**
 * The vocabulary of the checker: operations and events (the two ways to write a history),
 * the model a history is judged against, and what a check returns.
 */

/**
 * One completed operation of a client. `call` and `return` are times in any unit, as long as
 * one clock stamps the whole history. A `return` of `Infinity` means "never returned": the
 * operation may have taken effect at any point after its call (use it for a write whose
 * outcome is unknown; drop a read whose answer never came).
 */
export interface Operation<I, O> {
  readonly clientId: number;
  readonly input: I;
  readonly call: number;
  readonly output: O;
  readonly return: number;
}

/** A call event: a client invoked operation `id` with `value` as its input. */
export interface CallEvent<I> {
  readonly clientId: number;
  readonly kind: 'call';
  readonly value: I;
  readonly id: number;
}

/** A return event: operation `id` returned `value` as its output. */
export interface ReturnEvent<O> {
  readonly clientId: number;
  readonly kind: 'return';
  readonly value: O;
  readonly id: number;
}

/**
 * A history written as a sequence of events: its order is the real-time order. Every `id`
 * has exactly one call and, later, exactly one return, from the same client.
 */
export type Event<I, O> = CallEvent<I> | ReturnEvent<O>;

/**
 * A sequential specification. `S` is the state, `I` an operation's input, `O` its output.
 * Only `init` and `step` are required; the others have defaults (see `fillDefaults`).
 */
export interface Model<S, I, O> {
  /**
   * Splits a history into independent parts (P-compositionality: e.g. one part per key).
   * The checker then searches each part on its own, which is exponentially cheaper.
   * Every operation must land in exactly one part. Default: one part.
   */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** The same for event histories. Default: the checker converts the events to operations and uses `partition`. */
  partitionEvent?(history: readonly Event<I, O>[]): Event<I, O>[][];
  /** The state before any operation. */
  init(): S;
  /**
   * Whether `output` is a legal answer to `input` in `state`, and the state after.
   * Must not mutate `state`: the search goes back to earlier states.
   */
  step(state: S, input: I, output: O): [ok: boolean, newState: S];
  /** Whether two states are the same. Default: `===`; give one when states are objects. */
  equal?(a: S, b: S): boolean;
  /** A short text for an operation, e.g. `get('k') -> 'v'`. */
  describeOperation?(input: I, output: O): string;
  /** A short text for a state. */
  describeState?(state: S): string;
  /**
   * Where a checker thread can import this same model: an ES module's URL and the name it
   * exports the model under. With it, the checker may search partitions of a large history
   * on several threads (see parallel.ts); without it, everything runs in the calling thread.
   */
  readonly workerModule?: { readonly url: string; readonly exportName: string };
}

/** A model with every optional member filled in. */
export type FullModel<S, I, O> = Required<Omit<Model<S, I, O>, 'partitionEvent' | 'workerModule'>> &
  Pick<Model<S, I, O>, 'partitionEvent' | 'workerModule'>;

/**
 * `Ok`: linearizable. `Illegal`: not linearizable. `Unknown`: the time limit ran out first
 * (treat as "no verdict"; 6.5840 treats it as passing).
 */
export type CheckResult = 'Ok' | 'Illegal' | 'Unknown';

/** What the search learned about one partition; the data of the visualization. */
export interface PartitionLinearization<I, O> {
  /** The partition's operations; every index below refers to this array. */
  readonly operations: readonly Operation<I, O>[];
  /** The verdict on this partition alone. */
  readonly result: CheckResult;
  /**
   * The distinct partial linearizations the search found, longest first: each lists operation
   * indices in linearization order. For an `Ok` partition the first one is complete.
   */
  readonly partialLinearizations: readonly (readonly number[])[];
  /** Per operation: index in `partialLinearizations` of the longest one containing it, or -1. */
  readonly longestContaining: readonly number[];
  /**
   * For an `Illegal` partition: the operation where the longest partial linearization gets
   * stuck, i.e. the earliest-returning operation outside it. Every linearization must place
   * it before its return, and none the search found could. -1 unless `Illegal`.
   */
  readonly failedOperation: number;
}

/** Per-partition results of a verbose check, in partition order. */
export interface LinearizationInfo<I, O> {
  readonly partitions: readonly PartitionLinearization<I, O>[];
}

/** The answer of a verbose check. */
export interface VerboseResult<I, O> {
  readonly result: CheckResult;
  readonly info: LinearizationInfo<I, O>;
}
