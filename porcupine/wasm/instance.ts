/**
 * The kv search module (assembly/) instantiated once per process (or worker) and
 * reused by every check. Undefined where WebAssembly is unavailable; the checker then runs its
 * JavaScript loop.
 */
import { SearchOutOfMemory } from '../search-memory.ts';
import { kvSearchBase64 } from './kv-search-binary.ts';

/** What the module exports (see assembly/ for each function's contract). */
export interface KvSearchExports {
  readonly memory: WebAssembly.Memory;
  reserve(operations: number): void;
  reserveUnits(strings: number, units: number): void;
  callsPointer(): number;
  returnsPointer(): number;
  clientsPointer(): number;
  kindsPointer(): number;
  stringStartsPointer(): number;
  unitsPointer(): number;
  prepare(): number;
  partitions(): number;
  partitionStart(partition: number): number;
  partitionOperations(): number;
  search(partition: number, verbose: number): number;
  resume(): number;
  giveUp(): void;
  sequences(): number;
  sequenceTails(): number;
  sequenceShared(): number;
  sequenceLengths(): number;
  sequenceOf(): number;
  /** Where the last verbose search that found a linearization wrote it (one i32 per operation). */
  completeSequence(): number;
  /** How many distinct states the last search built (for tests). */
  statesBuilt(): number;
  /** For tests: caps the module's memory at this many 64 KiB pages (65536: no cap). */
  limitPagesForTests(pages: number): void;
  /** For tests: with 1, every linearized set hashes alike, so the memo compares sets by content alone. */
  collideSetHashesForTests(on: number): void;
}

/** Past this much linear memory after a check, the instance is dropped so the memory can go. */
const keepMemoryBytes = 64 << 20;

/** Compiled when this module loads, so that a check does not wait for it. */
const compiled = compile();
let instance: KvSearchExports | undefined;

const imports = {
  env: {
    abort: (): never => {
      throw new Error('kv search module aborted');
    },
    outOfMemory: (): never => {
      throw new SearchOutOfMemory();
    },
  },
};

/** The instance; undefined without WebAssembly. */
export function kvSearchInstance(): KvSearchExports | undefined {
  if (compiled === null) return undefined;
  instance ??= new WebAssembly.Instance(compiled, imports).exports as unknown as KvSearchExports;
  return instance;
}

/** Lets a large instance go after a check, so its memory can be reclaimed. */
export function releaseKvSearchMemory(): void {
  if (instance !== undefined && instance.memory.buffer.byteLength > keepMemoryBytes) instance = undefined;
}

/** Drops the instance (after a trap its state means nothing); the next check makes a new one. */
export function dropKvSearchInstance(): void {
  instance = undefined;
}

/** @internal For tests: the next checks use `replacement` (undefined: a real instance again). */
export function replaceKvSearchInstanceForTests(replacement: KvSearchExports | undefined): void {
  instance = replacement;
}

function compile(): WebAssembly.Module | null {
  if (typeof WebAssembly !== 'object') return null;
  try {
    return new WebAssembly.Module(decodeBase64(kvSearchBase64));
  } catch {
    return null;
  }
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
  if (NodeBuffer !== undefined) return new Uint8Array(NodeBuffer.from(text, 'base64'));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
