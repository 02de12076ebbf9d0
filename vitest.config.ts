import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/tests/**/*.test.ts'],
    exclude: ['node_modules/**', 'scratch/**', 'dist/**'],
    // Simulated tests run in their own worker thread; vitest's forks keep files apart.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
