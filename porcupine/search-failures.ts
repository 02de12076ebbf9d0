/** Turning what goes wrong inside a search loop into errors that name the operation and state. */
import { ModelError, ModelStepError, SearchMemoryError, describeThrown } from './errors.ts';
import { EqualError } from './memo.ts';
import { SearchOutOfMemory } from './search-memory.ts';
import { describeStateSafely, operationForHumans } from './model.ts';
import type { FullModel } from './types.ts';
import type { SearchRequest } from './search.ts';

/** `model.step` returned something other than `[ok, newState]`. */
export class StepShapeError extends Error {
  constructor(readonly returned: unknown) {
    super('bad step result');
  }
}

/** Turns a failure inside the loop into an error that names the operation (or the memo's equal, or memory). */
export function searchError<S, I, O>(request: SearchRequest<S, I, O>, state: S, operation: number, error: unknown): Error {
  if (error instanceof StepShapeError) {
    return stepError(request, state, operation, `returned ${String(error.returned)} instead of [ok, newState]`, undefined);
  }
  if (error instanceof EqualError) return new ModelError(`model.equal threw: ${describeThrown(error.thrown)}`, { cause: error.thrown });
  if (error instanceof SearchOutOfMemory) return new SearchMemoryError(request.partitionIndex, request.operations.length);
  return stepError(request, state, operation, `threw ${describeThrown(error)}`, error);
}

export function initialState<S, I, O>(model: FullModel<S, I, O>): S {
  try {
    return model.init();
  } catch (error) {
    throw new ModelError(`model.init threw: ${describeThrown(error)}`, { cause: error });
  }
}

export function stepError<S, I, O>(
  request: SearchRequest<S, I, O>,
  state: S,
  operation: number,
  what: string,
  cause: unknown,
): ModelStepError {
  const { model, operations, partitionIndex } = request;
  return new ModelStepError(
    `model.step ${what} on operation ${operation} of partition ${partitionIndex} ` +
      `(${operationForHumans(model, operations[operation])}) in state ${describeStateSafely(model, state)}. ` +
      `Fix the model's step, or the history's input that it cannot handle.`,
    partitionIndex,
    operation,
    cause,
  );
}

