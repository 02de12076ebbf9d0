/** The browser's `node:crypto`: the page's Web Crypto object, whose random functions the simulator replaces while a run is on. */
export const webcrypto = globalThis.crypto;
export const randomUUID = (): string => globalThis.crypto.randomUUID();
export default { webcrypto, randomUUID };
