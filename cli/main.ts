import { commandHelp, parseCommand, type CommandSpec, type Parsed } from './args.ts';
import { defaultContext, type CliContext } from './context.ts';
import { exitCode, UsageError } from './errors.ts';
import { partNames } from './parts.ts';
import { testCommand, testSpec } from './commands/test.ts';
import { stressCommand, stressSpec } from './commands/stress.ts';
import { replayCommand, replaySpec } from './commands/replay.ts';
import { shrinkCommand, shrinkSpec } from './commands/shrink.ts';
import { gradeCommand, gradeSpec } from './commands/grade.ts';
import { handoutCommand, handoutSpec } from './commands/handout.ts';
import { autograderCommand, autograderSpec } from './commands/autograder.ts';
import { playgroundCommand, playgroundSpec } from './commands/playground.ts';
import { delegatedCommands, runDelegated } from './delegated.ts';

interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, ctx: CliContext): Promise<number>;
}

/** Every command, in the order help lists them. */
export const commands: Command[] = [
  { spec: testSpec, run: testCommand },
  { spec: stressSpec, run: stressCommand },
  { spec: replaySpec, run: replayCommand },
  { spec: shrinkSpec, run: shrinkCommand },
  { spec: gradeSpec, run: gradeCommand },
  { spec: handoutSpec, run: handoutCommand },
  { spec: autograderSpec, run: autograderCommand },
  { spec: playgroundSpec, run: playgroundCommand },
];

function mainHelp(ctx: CliContext): string {
  const width = Math.max(...commands.map((c) => c.spec.name.length), ...delegatedCommands.map((c) => c.name.length));
  return [
    'lab — run, stress, replay and grade the raftlab tests (6.5840 Raft and KV labs on a simulator)',
    '',
    'Usage: lab <command> [arguments] [flags]      (npx lab ... or npm run lab -- ...)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    ...delegatedCommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show the help of a command: lab help stress (or lab stress --help)`,
    '',
    `Parts: ${partNames(ctx.parts).join(' ')}`,
    '',
    'Examples:',
    '  lab test 2A                       run the 2A tests, then a summary',
    '  lab stress 2C -n 20 -p 2          20 runs of every 2C test, 2 at a time',
    '  lab replay "initial election" --seed 1234',
    '  lab grade --format gradescope --out results.json',
    '',
    'Exit codes: 0 all passed, 1 a test failed (or lost points), 2 a usage or configuration error.',
    'Environment: LAB_SEED fixes the base seed; LAB_WATCHDOG_MS the watchdog (default 2000 ms); NO_COLOR turns',
    'colours off; LAB_PARTS_FILE points at another part map (JSON).',
    '',
  ].join('\n');
}

/** Runs the `lab` command with its arguments (without "node lab.mjs"); resolves to the exit code. */
export async function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  try {
    return await dispatch(argv, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      ctx.stderr.write(`lab: ${e.message}\n`);
      return exitCode.usage;
    }
    const err = e as Error;
    ctx.stderr.write(`lab: ${err.message}\n`);
    if (process.env.LAB_DEBUG === '1') ctx.stderr.write(`${err.stack ?? ''}\n`);
    return exitCode.failed;
  }
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    ctx.stdout.write(mainHelp(ctx));
    return name === undefined ? exitCode.usage : exitCode.ok;
  }
  if (name === 'help') {
    const topic = rest[0];
    if (topic === undefined) {
      ctx.stdout.write(mainHelp(ctx));
      return exitCode.ok;
    }
    ctx.stdout.write(commandHelp(findCommand(topic).spec));
    return exitCode.ok;
  }
  const delegated = await runDelegated(name, rest, ctx);
  if (delegated !== undefined) return delegated;
  const command = findCommand(name);
  const parsed = parseCommand(command.spec, rest);
  if (parsed.values.help === true) {
    ctx.stdout.write(commandHelp(command.spec));
    return exitCode.ok;
  }
  return command.run(parsed, ctx);
}

function findCommand(name: string): Command {
  const command = commands.find((c) => c.spec.name === name);
  if (command === undefined) {
    const hint = name.startsWith('-') ? `a command comes first, flags after it` : `unknown command "${name}"`;
    throw new UsageError(`${hint}; the commands are ${[...commands.map((c) => c.spec.name), ...delegatedCommands.map((c) => c.name), 'help'].join(', ')} (see lab --help)`);
  }
  return command;
}
