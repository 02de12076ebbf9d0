#!/usr/bin/env node
// The `lab` command's entry: TypeScript support first (tsx), then the command proper (main.ts).
import { register } from 'tsx/esm/api';

// `lab test 2A | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
