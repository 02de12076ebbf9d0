/** Prints the trace hash of the workload for the seed given as the first argument (used by determinism.test.ts). */
import { createHash } from 'node:crypto';
import { runWorkload } from './workload.ts';

const seed = process.argv[2] ?? '1';
const result = await runWorkload(seed);
const digest = createHash('sha256').update(result.value.log.join('\n')).digest('hex');
process.stdout.write(`${JSON.stringify({ traceHash: result.traceHash, events: result.events, elapsedMs: result.elapsedMs, logDigest: digest, logLines: result.value.log.length })}\n`);
