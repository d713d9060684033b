import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks, not threads: tests start worker threads and child processes of their own.
    pool: 'forks',
    reporters: ['default', './test/helpers/countReporter.ts'],
  },
});
