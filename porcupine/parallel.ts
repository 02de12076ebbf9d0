/**
 * Searching independent partitions on several threads: the calling thread takes a share and
 * a pool of checker threads (worker.ts) the rest, as Go porcupine's goroutines do.
 *
 * The check stays synchronous: the caller posts the jobs, searches its own share, then
 * waits on each job's shared done flag (`Atomics.wait`) and reads the answer with
 * `receiveMessageOnPort`. Threads are used only when they can pay: the model says where a
 * thread can import it (`Model.workerModule`), the history is large, more than one core
 * exists, and the pool is warm. The pool starts only when asked (`warmUpCheckerThreads`):
 * booting a thread costs more than checking a history of the size where threads start to
 * help, and booting it in the background during a check slowed that check down on a busy
 * 2-core machine (measured: bench/porcupine-anchors.ts, 100k shape).
 *
 * Nothing hangs and nothing leaks: pool threads are unref'd (they never keep a process
 * alive); a thread that answers with an error, cannot be handed the history, or stops
 * beating (no heartbeat for `deadThreadMs`) is replaced, and its partitions are searched in
 * the calling thread, which reproduces any model error with its usual message. Where there
 * are no threads (a browser, `PORCUPINE_THREADS=0`), everything runs in the calling thread.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { ABORT, CONTROL_CELLS, DONE, HEARTBEAT } from './control.ts';
import { realNow } from './clock.ts';
import type { SearchOutcome } from './search.ts';
import type { FullModel, Operation } from './types.ts';
import type { Job, JobAnswer } from './worker.ts';
import type { KvInput, KvOutput } from './kv.ts';
import { encodeKvShare, transferablesOf } from './kv-wire.ts';

/**
 * Below this many operations in all, threads cost more than they save. A thread's share must
 * be copied to it, and the calling thread's pass over those operations (encoding them, cold)
 * costs about what searching them costs for a key/value history, whose search is nearly
 * linear. Measured on a shared 2-core machine, 100k operations with a warm pool of one thread,
 * fresh process each run: one thread 251–817 ms, the pool 436–911 ms (encoding 47–130 ms and
 * postMessage 31–55 ms of it; cloning the operation objects, before, took 270–330 ms); giving
 * the warm thread a larger share made it slower still. So threads start well above the
 * largest history measured; where the search per operation is heavy (many concurrent writes
 * on a key), they may pay sooner: measure with `setParallelMinOperations` before lowering it.
 */
let parallelMinOperations = 250_000;

/** @internal For tests: lets small histories use the threads too. Returns the previous value. */
export function setParallelMinOperations(count: number): number {
  const previous = parallelMinOperations;
  parallelMinOperations = count;
  return previous;
}
/**
 * Whether a check of this many operations would go to the threads (the pool is warm and the
 * history large enough), before the partitions are known.
 */
export function threadsWouldTake(operationCount: number): boolean {
  return operationCount >= parallelMinOperations && readyThreads().length > 0;
}

/** A thread that has not beaten for this long while busy is taken for dead. */
const deadThreadMs = 10_000;
/** After the deadline, how long a thread may take to notice the abort flag. */
const abortGraceMs = 2_000;
/** The calling thread waits in slices of this length, to look at heartbeats and the clock. */
const waitSliceMs = 500;

type WorkerThreads = typeof import('node:worker_threads');

interface PoolThread {
  readonly worker: Worker;
  /** Cell 0 becomes 1 once the thread has booted. */
  readonly ready: Int32Array;
}

let pool: PoolThread[] | undefined;
let jobCount = 0;

/** @internal For tests: how many jobs have been handed to threads so far. */
export function jobsPosted(): number {
  return jobCount;
}

/** Searches one partition in the calling thread. */
export type LocalSearch = (partitionIndex: number) => SearchOutcome;

/**
 * Searches the partitions over the calling thread and the warm pool, or returns undefined
 * when threads cannot help (the caller then searches in its own thread). Entry k of the
 * result is partition k's outcome, or undefined where it was not searched: the verdict was
 * known already (an Illegal partition in a plain check) or time ran out.
 */
export function searchInParallel<S, I, O>(
  model: FullModel<S, I, O>,
  workerModule: { readonly url: string; readonly exportName: string } | undefined,
  partitions: readonly Operation<I, O>[][],
  deadline: number,
  verbose: boolean,
  kvSteps: boolean,
  searchLocally: LocalSearch,
): (SearchOutcome | undefined)[] | undefined {
  if (workerModule === undefined || partitions.length < 2) return undefined;
  let total = 0;
  for (const partition of partitions) total += partition.length;
  if (total < parallelMinOperations) return undefined;
  const threads = readyThreads();
  if (threads.length === 0) return undefined;
  void model; // the threads import their own copy, from workerModule

  const shares = assign(partitions, threads.length + 1);
  const outcomes = new Array<SearchOutcome | undefined>(partitions.length);
  const jobs: RunningJob[] = [];
  for (let t = 0; t < threads.length; t++) {
    const share = shares[t + 1]!;
    if (share.length === 0) continue;
    const job = post(threads[t]!, workerModule, partitions, share, deadline, verbose, kvSteps);
    if (job === undefined) shares[0]!.push(...share); // could not be handed over: search here
    else jobs.push(job);
  }

  let settled = false; // a plain check found an Illegal partition: the rest does not matter
  const abortAll = (): void => {
    for (const job of jobs) Atomics.store(job.control, ABORT, 1);
  };
  for (const index of shares[0]!) {
    if (settled || realNow() > deadline) break;
    const outcome = searchLocally(index);
    outcomes[index] = outcome;
    if (outcome.result === 'Illegal' && !verbose) {
      settled = true;
      abortAll();
    }
    if (outcome.result === 'Unknown') break;
  }

  for (const job of jobs) {
    const answer = awaitJob(job, deadline, () => settled);
    if (answer !== undefined && answer.ok) {
      answer.outcomes.forEach((outcome, k) => {
        outcomes[job.share[k]!] = outcome;
        if (outcome.result === 'Illegal' && !verbose && !settled) {
          settled = true;
          abortAll();
        }
      });
      continue;
    }
    if (answer === undefined && realNow() > deadline) continue; // out of time: these stay unsearched
    // The thread failed or died: search its share here (a model error surfaces as usual).
    for (const index of job.share) {
      if (settled || realNow() > deadline) break;
      const outcome = searchLocally(index);
      outcomes[index] = outcome;
      if (outcome.result === 'Illegal' && !verbose) settled = true;
    }
  }
  return outcomes;
}

interface RunningJob {
  readonly thread: PoolThread;
  readonly share: readonly number[];
  readonly control: Int32Array;
  readonly port: MessagePort;
}

/** Hands a share to a thread; undefined if the history cannot be sent (e.g. it holds functions). */
function post<I, O>(
  thread: PoolThread,
  workerModule: { readonly url: string; readonly exportName: string },
  partitions: readonly Operation<I, O>[][],
  share: readonly number[],
  deadline: number,
  verbose: boolean,
  kvSteps: boolean,
): RunningJob | undefined {
  const threads = workerThreads();
  if (threads === undefined) return undefined;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_CELLS * 4));
  const { port1, port2 } = new threads.MessageChannel();
  const chosen = share.map((index) => partitions[index]!);
  // A key/value model's partitions go as flat arrays; others as operations (cloned).
  const kvShare = kvSteps ? encodeKvShare(chosen as unknown as Operation<KvInput, KvOutput>[][]) : undefined;
  const job: Job = {
    moduleUrl: workerModule.url,
    exportName: workerModule.exportName,
    partitions: kvShare === undefined ? (chosen as unknown as Operation<unknown, unknown>[][]) : [],
    ...(kvShare === undefined ? {} : { kvShare }),
    partitionIndices: share,
    timeoutMs: deadline === Infinity ? 0 : Math.max(1, deadline - realNow()),
    verbose,
    control: control.buffer as SharedArrayBuffer,
    port: port2,
  };
  try {
    thread.worker.postMessage(job, kvShare === undefined ? [port2] : [port2, ...transferablesOf(kvShare)]);
    jobCount++;
  } catch {
    port1.close();
    port2.close();
    return undefined;
  }
  return { thread, share, control, port: port1 };
}

/**
 * Waits for a job's answer. Undefined if there is none: the thread died (it is dropped from
 * the pool) or time ran out (it was told to stop).
 */
function awaitJob(job: RunningJob, deadline: number, settled: () => boolean): JobAnswer | undefined {
  const threads = workerThreads()!;
  let lastBeat = Atomics.load(job.control, HEARTBEAT);
  let lastBeatAt = realNow();
  let abortedAt: number | undefined;
  for (;;) {
    if (Atomics.wait(job.control, DONE, 0, waitSliceMs) !== 'timed-out' || Atomics.load(job.control, DONE) === 1) {
      const received = threads.receiveMessageOnPort(job.port);
      job.port.close();
      if (received === undefined) return dropThread(job.thread);
      return received.message as JobAnswer;
    }
    const now = realNow();
    if (abortedAt === undefined && (now > deadline || settled())) {
      abortedAt = now;
      Atomics.store(job.control, ABORT, 1);
    }
    if (abortedAt !== undefined && now - abortedAt > abortGraceMs) return dropThread(job.thread, job.port);
    const beat = Atomics.load(job.control, HEARTBEAT);
    if (beat !== lastBeat) {
      lastBeat = beat;
      lastBeatAt = now;
    } else if (now - lastBeatAt > deadThreadMs) {
      return dropThread(job.thread, job.port);
    }
  }
}

function dropThread(thread: PoolThread, port?: MessagePort): undefined {
  port?.close();
  if (pool !== undefined) pool = pool.filter((t) => t !== thread);
  void thread.worker.terminate();
  return undefined;
}

/** The pool's booted threads (none until `warmUpCheckerThreads` started them). */
function readyThreads(): PoolThread[] {
  return pool === undefined ? [] : pool.filter((thread) => Atomics.load(thread.ready, 0) === 1);
}

/** Starts the pool's missing threads; returns the booted ones. */
function warmThreads(): PoolThread[] {
  const wanted = poolSize();
  if (wanted === 0) return [];
  pool ??= [];
  while (pool.length < wanted) {
    const thread = spawn();
    if (thread === undefined) break;
    pool.push(thread);
  }
  return pool.filter((thread) => Atomics.load(thread.ready, 0) === 1);
}

/**
 * Starts the checker threads (if this host has them) and resolves, with how many are ready,
 * once they have booted. Checks use a pool only once it is warm; a test run that will check
 * large histories can call this early so that even its first check runs in parallel.
 */
export async function warmUpCheckerThreads(): Promise<number> {
  warmThreads();
  const threads = pool ?? [];
  await Promise.all(
    threads.map(
      (thread) =>
        new Promise<void>((resolve) => {
          const done = (): void => {
            thread.worker.off('message', done);
            thread.worker.off('exit', done);
            resolve();
          };
          thread.worker.on('message', done); // the thread says 'ready' once booted
          thread.worker.on('exit', done);
          if (Atomics.load(thread.ready, 0) === 1) done();
        }),
    ),
  );
  return warmThreads().length;
}

/** Stops every checker thread (later checks start a new pool when they need one). */
export async function stopCheckerThreads(): Promise<void> {
  const threads = pool ?? [];
  pool = undefined;
  await Promise.all(threads.map((thread) => thread.worker.terminate()));
}

/** How many threads the pool keeps: one fewer than the cores (the caller works too), at most 3. */
function poolSize(): number {
  const setting = globalThis.process?.env?.PORCUPINE_THREADS;
  if (setting !== undefined && setting !== '') {
    const n = Number(setting);
    if (Number.isInteger(n) && n >= 0) return Math.min(n, 16);
  }
  const threads = workerThreads();
  if (threads === undefined) return 0;
  const os = globalThis.process?.getBuiltinModule?.('node:os') as typeof import('node:os') | undefined;
  const cores = os?.availableParallelism?.() ?? 1;
  return Math.max(0, Math.min(cores - 1, 3));
}

function spawn(): PoolThread | undefined {
  const threads = workerThreads();
  if (threads === undefined) return undefined;
  const ready = new Int32Array(new SharedArrayBuffer(4));
  try {
    const worker = new threads.Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { porcupineWorker: true, ready: ready.buffer },
    });
    worker.unref();
    const thread: PoolThread = { worker, ready };
    // A thread that fails to boot or exits leaves the pool; the next check starts another.
    const leave = (): void => {
      if (pool !== undefined) pool = pool.filter((t) => t !== thread);
    };
    worker.on('error', leave);
    worker.on('exit', leave);
    return thread;
  } catch {
    return undefined;
  }
}

/** node:worker_threads where the host has it (Node); undefined elsewhere (a browser). */
function workerThreads(): WorkerThreads | undefined {
  try {
    return globalThis.process?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
  } catch {
    return undefined;
  }
}

/** Partition indices in shares of about equal work (operation count), largest first. */
function assign<I, O>(partitions: readonly Operation<I, O>[][], shareCount: number): number[][] {
  const order = partitions.map((_, index) => index).sort((a, b) => partitions[b]!.length - partitions[a]!.length || a - b);
  const shares = Array.from({ length: shareCount }, () => [] as number[]);
  const loads = new Array<number>(shareCount).fill(0);
  for (const index of order) {
    let lightest = 0;
    for (let s = 1; s < shareCount; s++) if (loads[s]! < loads[lightest]!) lightest = s;
    shares[lightest]!.push(index);
    loads[lightest]! += partitions[index]!.length;
  }
  for (const share of shares) share.sort((a, b) => a - b);
  return shares;
}
