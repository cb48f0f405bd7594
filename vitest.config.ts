import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // PGlite instances are heavy; two workers keep memory and the 2-core machine sane.
    pool: 'forks',
    maxWorkers: 2,
  },
});
