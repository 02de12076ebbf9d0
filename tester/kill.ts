import { asServer } from '../sim/index.ts';

/**
 * Kills every running server (null entries are crashed ones), attributing each Kill to its
 * server. Every server is killed even if one Kill throws; the first error is returned so the
 * caller can report it once the network is shut.
 */
export function killEach(servers: ReadonlyArray<{ Kill(): void } | null>): { error: unknown } | undefined {
  let thrown: { error: unknown } | undefined;
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i];
    if (server === null || server === undefined) continue;
    try {
      asServer(String(i), () => server.Kill());
    } catch (e) {
      thrown ??= { error: e };
    }
  }
  return thrown;
}
