import { defineConfig } from 'vitest/config';

// Two layers (STYLE.md #9): pure unit tests run in parallel; integration tests
// create real namespaces, links, tunnels and containers, need root, and run one
// file at a time so that two labs never fight over the machine's two cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.{ts,tsx}'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
