/**
 * The data behind the visualization page: every operation with its description, every
 * partial linearization with the state after each step (replayed through the model), and
 * the annotations. Texts go into one string table, since states repeat across the partial
 * linearizations that share a prefix.
 */
import { describeThrown } from './errors.ts';
import { describeOperationSafely, describeStateSafely, fillDefaults } from './model.ts';
import type { CheckResult, FullModel, LinearizationInfo, Model, Operation, PartitionLinearization } from './types.ts';

/** Something that happened during the run, drawn on the history's time axis. */
export interface Annotation {
  /** When it happened (or began), in the history's time unit. */
  readonly time: number;
  /** When it ended, for something that lasted (a partition, a crash until restart). */
  readonly endTime?: number;
  /** A few words shown on the axis. */
  readonly label: string;
  /** Shown when the annotation is hovered. */
  readonly description?: string;
  /** `fault` (red) and `check` (blue) have colors; any other kind is drawn grey. */
  readonly kind?: 'fault' | 'check' | (string & {});
}

export interface VisualizeOptions<I = unknown, O = unknown> {
  /** The page's title (default "Linearizability check"). */
  readonly title?: string;
  /** Faults, checker steps and the like, on the same time axis. */
  readonly annotations?: readonly Annotation[];
  /**
   * A name for a partition (default: `key 'k'` when all its inputs share a string `key`,
   * else `partition N`).
   */
  readonly partitionLabel?: (operations: readonly Operation<I, O>[], index: number) => string;
  /**
   * Longest description of a state kept, in characters (default 4000): longer ones keep
   * their start and end. Without it, appending workloads make pages of hundreds of MB.
   */
  readonly maxStateChars?: number;
  /** The verdict to show; default: derived from the partitions. */
  readonly result?: CheckResult;
}

/** One partition, in the compact form the page reads. Times `null` mean "never returned". */
export interface PagePartition {
  readonly index: number;
  readonly label: number;
  readonly result: CheckResult;
  readonly clients: number[];
  readonly calls: number[];
  readonly returns: (number | null)[];
  readonly descriptions: number[];
  readonly linearizations: { readonly operations: readonly number[]; readonly states: number[] }[];
  readonly longestContaining: readonly number[];
  readonly failedOperation: number;
}

export interface PageData {
  readonly title: string;
  readonly result: CheckResult;
  readonly initialState: number;
  readonly strings: string[];
  readonly partitions: PagePartition[];
  readonly annotations: {
    time: number;
    endTime: number | null;
    label: string;
    description: string;
    kind: string;
  }[];
}

/** Collects the page data; pure apart from calling the model. */
export function buildPageData<S, I, O>(
  model: Model<S, I, O>,
  info: LinearizationInfo<I, O>,
  options: VisualizeOptions<I, O>,
): PageData {
  const full = fillDefaults(model);
  const strings = new StringTable(options.maxStateChars ?? 4000);
  const partitions: PagePartition[] = [];
  info.partitions.forEach((partition, index) => {
    if (partition.operations.length === 0) return;
    const label = options.partitionLabel?.(partition.operations, index) ?? defaultLabel(partition.operations, index);
    partitions.push(pagePartition(full, partition, index, strings.add(label), strings));
  });
  return {
    title: options.title ?? 'Linearizability check',
    result: options.result ?? overallResult(info),
    initialState: strings.addState(describeStateSafely(full, full.init())),
    strings: strings.texts,
    partitions,
    annotations: (options.annotations ?? []).filter((a) => Number.isFinite(a.time)).map((a) => ({
      time: a.time,
      endTime: a.endTime !== undefined && Number.isFinite(a.endTime) ? a.endTime : null,
      label: String(a.label),
      description: a.description === undefined ? '' : String(a.description),
      kind: a.kind === undefined ? 'note' : String(a.kind),
    })),
  };
}

function pagePartition<S, I, O>(
  model: FullModel<S, I, O>,
  partition: PartitionLinearization<I, O>,
  index: number,
  label: number,
  strings: StringTable,
): PagePartition {
  const { operations } = partition;
  return {
    index,
    label,
    result: partition.result,
    clients: operations.map((operation) => operation.clientId),
    calls: operations.map((operation) => operation.call),
    returns: operations.map((operation) => (Number.isFinite(operation.return) ? operation.return : null)),
    descriptions: operations.map((operation) => strings.add(describeOperationSafely(model, operation))),
    linearizations: partition.partialLinearizations.map((sequence) => ({
      operations: sequence,
      states: replay(model, operations, sequence).map((text) => strings.addState(text)),
    })),
    longestContaining: partition.longestContaining,
    failedOperation: partition.failedOperation,
  };
}

/** The description of the state after each step of a linearization. */
function replay<S, I, O>(
  model: FullModel<S, I, O>,
  operations: readonly Operation<I, O>[],
  sequence: readonly number[],
): string[] {
  const texts: string[] = [];
  let state = model.init();
  for (const operation of sequence) {
    try {
      state = model.step(state, operations[operation].input, operations[operation].output)[1];
      texts.push(describeStateSafely(model, state));
    } catch (error) {
      texts.push(`(model.step threw: ${describeThrown(error)})`);
    }
  }
  return texts;
}

function overallResult<I, O>(info: LinearizationInfo<I, O>): CheckResult {
  const results = info.partitions.map((partition) => partition.result);
  if (results.includes('Illegal')) return 'Illegal';
  if (results.includes('Unknown')) return 'Unknown';
  return 'Ok';
}

/** `key 'k'` when every input is an object with the same string `key`. */
function defaultLabel<I, O>(operations: readonly Operation<I, O>[], index: number): string {
  const keyOf = (input: unknown): unknown =>
    typeof input === 'object' && input !== null ? (input as { key?: unknown }).key : undefined;
  const key = keyOf(operations[0]?.input);
  if (typeof key === 'string' && operations.every((operation) => keyOf(operation.input) === key)) {
    return `key ${JSON.stringify(key)}`;
  }
  return `partition ${index}`;
}

/** Deduplicated texts, referred to by index. */
class StringTable {
  readonly texts: string[] = [];
  private readonly indexOf = new Map<string, number>();

  constructor(private readonly maxStateChars: number) {}

  add(text: string): number {
    let index = this.indexOf.get(text);
    if (index === undefined) {
      index = this.texts.length;
      this.texts.push(text);
      this.indexOf.set(text, index);
    }
    return index;
  }

  /** A state description, shortened in the middle if it is too long. */
  addState(text: string): number {
    if (text.length <= this.maxStateChars) return this.add(text);
    const half = Math.max(1, Math.floor(this.maxStateChars / 2));
    const cut = text.length - 2 * half;
    return this.add(`${text.slice(0, half)} …(${cut} characters cut)… ${text.slice(-half)}`);
  }
}
