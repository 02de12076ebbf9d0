/** Defaults for the optional members of a `Model`, and safe ways to describe things. */
import type { FullModel, Model, Operation } from './types.ts';

/** A readable text for any value: JSON where possible, `String` otherwise. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text;
  } catch {
    // Cycles and the like: fall through to String.
  }
  return String(value);
}

/** Default `partition`: the whole history is one part. */
export function noPartition<I, O>(history: readonly Operation<I, O>[]): Operation<I, O>[][] {
  return [history.slice()];
}

/** Default `equal`: identity, like porcupine's `ShallowEqual`. */
export function shallowEqual<S>(a: S, b: S): boolean {
  return a === b;
}

/** Default `describeOperation`: `input -> output`. */
export function defaultDescribeOperation(input: unknown, output: unknown): string {
  return `${show(input)} -> ${show(output)}`;
}

/** Default `describeState`. */
export function defaultDescribeState(state: unknown): string {
  return show(state);
}

/** The model with every optional member filled in with its default. */
export function fillDefaults<S, I, O>(model: Model<S, I, O>): FullModel<S, I, O> {
  return {
    partition: model.partition?.bind(model) ?? noPartition,
    partitionEvent: model.partitionEvent?.bind(model),
    init: model.init.bind(model),
    step: model.step.bind(model),
    equal: model.equal?.bind(model) ?? shallowEqual,
    describeOperation: model.describeOperation?.bind(model) ?? defaultDescribeOperation,
    describeState: model.describeState?.bind(model) ?? defaultDescribeState,
    workerModule: model.workerModule,
  };
}

/** `describeOperation` that never throws: error messages must not fail while being written. */
export function describeOperationSafely<S, I, O>(
  model: FullModel<S, I, O>,
  operation: Operation<I, O>,
): string {
  try {
    return model.describeOperation(operation.input, operation.output);
  } catch {
    return defaultDescribeOperation(operation.input, operation.output);
  }
}

/** `describeState` that never throws. */
export function describeStateSafely<S, I, O>(model: FullModel<S, I, O>, state: S): string {
  try {
    return model.describeState(state);
  } catch {
    return defaultDescribeState(state);
  }
}

/** One operation in words, for error messages: client, times and description. */
export function operationForHumans<S, I, O>(
  model: FullModel<S, I, O>,
  operation: Operation<I, O>,
): string {
  return `client ${operation.clientId}: ${describeOperationSafely(model, operation)} ` +
    `[call ${operation.call}, return ${operation.return}]`;
}
