/**
 * The history as an HTML page: a block per partition, a track per client, a bar per
 * operation over time; the longest partial linearization in green with its linearization
 * points, the operation where it gets stuck in red (with "Jump to first error"), details of
 * any operation on hover, and annotations (faults, checker steps) on the same time axis.
 */
import { writeFileSync } from 'node:fs';
import { buildPageData, type VisualizeOptions } from './visualize-data.ts';
import { renderPage } from './visualize-page.ts';
import type { LinearizationInfo, Model } from './types.ts';

export type { Annotation, VisualizeOptions } from './visualize-data.ts';

/** The self-contained page (inline CSS, script and data; nothing fetched) for a verbose check's info. */
export function visualize<S, I, O>(
  model: Model<S, I, O>,
  info: LinearizationInfo<I, O>,
  options: VisualizeOptions<I, O> = {},
): string {
  return renderPage(buildPageData(model, info, options));
}

/** Writes `visualize(...)` to `path` (synchronously, so it is on disk before a failing test ends). */
export function visualizePath<S, I, O>(
  model: Model<S, I, O>,
  info: LinearizationInfo<I, O>,
  path: string,
  options: VisualizeOptions<I, O> = {},
): void {
  writeFileSync(path, visualize(model, info, options), 'utf8');
}
