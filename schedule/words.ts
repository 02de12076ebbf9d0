import type { RecordedChoice } from './types.ts';

/** One kept fault or message fate, told in plain words. */
export interface ToldChoice {
  id: string;
  atMs: number;
  /** E.g. "S1 crashes (restarted at 4.100 s)" or "the AppendEntries reply S2→S1 (term 4, #3) is dropped". */
  text: string;
}

/** Seconds with milliseconds, as the reports print times: "4.100 s". */
export function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/**
 * The faults and message fates of a recorded run, in order, each in plain words with the time
 * and the servers, and, for a fault, when it was undone (the restart after a crash, the
 * reconnect after a disconnect, the next partition or heal after a partition).
 */
export function tellChoices(choices: readonly RecordedChoice[]): ToldChoice[] {
  const told: ToldChoice[] = [];
  choices.forEach((c, i) => {
    if (c.unit === 'repair') return;
    const text = c.unit === 'fault' ? faultWords(c, undoneAt(choices, i)) : messageWords(c);
    told.push({ id: c.id, atMs: c.atMs, text });
  });
  return told;
}

function faultWords(c: RecordedChoice, undone: number | undefined): string {
  const who = c.servers.join(', ');
  const until = (what: string): string => (undone === undefined ? ` (not ${what} before the end)` : ` (${what} at ${secondsText(undone)})`);
  switch (c.kind) {
    case 'crash':
      return `${who} crashes${until('restarted')}`;
    case 'restart':
      return `${who} reboots at once: killed and restarted from what it persisted`;
    case 'disconnect':
      return `${who} is cut off from the network${until('reconnected')}`;
    case 'shutdown':
      return `${who} is shut down${until('restarted')}`;
    case 'partition':
      return `the network splits into ${c.detail ?? who}${until('changed')}`;
    default:
      return `${c.kind} ${who}`;
  }
}

/** The choice that undid fault i: the next repair (or the next partition) of its servers. */
function undoneAt(choices: readonly RecordedChoice[], i: number): number | undefined {
  const fault = choices[i]!;
  const undo = { crash: ['start'], shutdown: ['start'], disconnect: ['connect', 'start'], partition: ['heal', 'partition'] }[fault.kind as string];
  if (undo === undefined) return undefined;
  for (let k = i + 1; k < choices.length; k++) {
    const c = choices[k]!;
    if (!undo.includes(c.kind)) continue;
    if (fault.kind === 'partition' || c.servers.includes(fault.servers[0]!)) return c.atMs;
  }
  return undefined;
}

function messageWords(c: RecordedChoice): string {
  // Ids read "<kind> <Service.Method> <from>-><to>[ t<term>] #<n>".
  const m = /^\S+ (\S+) (\S+)->(\S+)(?: t(\d+))? #(\d+)$/.exec(c.id);
  if (m === null) return c.id;
  const [, svcMeth, from, to, term, n] = m;
  const method = svcMeth!.includes('.') ? svcMeth!.slice(svcMeth!.indexOf('.') + 1) : svcMeth!;
  const which = `${term === undefined ? '' : `term ${term}, `}#${n} of its kind`;
  const delay = c.delayMs === undefined ? '' : ` by ${Math.round(c.delayMs)} ms`;
  switch (c.kind) {
    case 'request-drop':
      return `the ${method} request ${from}→${to} (${which}) is dropped`;
    case 'reply-drop':
      return `the reply to the ${method} ${from}→${to} (${which}) is dropped (the handler ran)`;
    case 'request-delay':
      return `the ${method} request ${from}→${to} (${which}) is delayed${delay}`;
    case 'reply-reorder':
      return `the reply to the ${method} ${from}→${to} (${which}) is held back${delay}, so later replies overtake it`;
    default:
      return c.id;
  }
}
