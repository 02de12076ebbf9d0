import type { CliContext } from './context.ts';

/**
 * Commands whose parsing and help live with the part they drive (trace/, mutants/, cluster/):
 * the `lab` command hands them their arguments as they are. Each is loaded only when used.
 */
export interface DelegatedCommand {
  name: string;
  summary: string;
  run(argv: string[], out: (line: string) => void, err: (line: string) => void, outIsTerminal: boolean): Promise<number>;
}

export const delegatedCommands: DelegatedCommand[] = [
  {
    name: 'logs',
    summary: 'print a trace as columns per server: lab logs FILE [--servers 0,2] [--topics vote,fault]',
    run: async (argv, out, err, outIsTerminal) => (await import('../trace/index.ts')).runLogsCommand(argv, out, err, outIsTerminal),
  },
  {
    name: 'mutants',
    summary: 'run the catalogue of injected bugs against the suite: lab mutants [--only ID] [--seeds K]',
    // mutants/ is staff-only: a handout leaves it out, so it is loaded by a computed path
    // (the handout still type-checks) and its absence gets a plain message.
    run: async (argv, out, err) => {
      const modulePath = '../mutants/index.ts';
      try {
        const mutants = (await import(modulePath)) as { runMutantsCommand(argv: string[], out: (line: string) => void): Promise<number> };
        return await mutants.runMutantsCommand(argv, out);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
        err('lab mutants is for instructors: the mutant catalogue (mutants/) is not part of this copy');
        return 2;
      }
    },
  },
  {
    name: 'cluster',
    summary: 'run your Raft and kvraft as real processes: lab cluster start -n 3, status, kill I, stop',
    run: async (argv, out) => (await import('../cluster/index.ts')).runClusterCommand(argv, out),
  },
  {
    name: 'demo',
    summary: 'a guided walkthrough on a real 5-node cluster',
    run: async (argv, out) => (await import('../cluster/index.ts')).runDemoCommand(argv, out),
  },
];

/** Runs a delegated command with the context's streams; undefined if `name` is not one. */
export async function runDelegated(name: string, argv: string[], ctx: CliContext): Promise<number | undefined> {
  const command = delegatedCommands.find((c) => c.name === name);
  if (command === undefined) return undefined;
  return command.run(
    argv,
    (line) => ctx.stdout.write(`${line}\n`),
    (line) => ctx.stderr.write(`${line}\n`),
    ctx.stdout.isTTY,
  );
}
