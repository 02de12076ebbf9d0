// `npx tsx mutants/cli.ts [flags]`: lab mutants without the lab command (same flags, same exit codes).
import { runMutantsCommand } from './command.ts';

process.exitCode = await runMutantsCommand(
  process.argv.slice(2),
  (line) => process.stdout.write(`${line}\n`),
  (line) => process.stderr.write(`${line}\n`),
);
