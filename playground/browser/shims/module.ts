/**
 * The browser's `node:module`, for the simulator's globals: `require('node:timers')` and
 * friends give plain objects (a browser has no such modules, so there is nothing to redirect),
 * and there are no ES module bindings to sync.
 */
const modules = new Map<string, Record<string, unknown>>();

export function createRequire(_from?: unknown): (name: string) => Record<string, unknown> {
  return (name: string) => {
    let m = modules.get(name);
    if (m === undefined) {
      m = {};
      modules.set(name, m);
    }
    return m;
  };
}

export function syncBuiltinESMExports(): void {}

export default { createRequire, syncBuiltinESMExports };
