// Entry of a checker thread: TypeScript support first, then the worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
