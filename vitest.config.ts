import { defineConfig } from 'vitest/config';

// Two layers: pure unit tests run in parallel; integration tests
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
      {
        // Runs inside the qemu VM of test/vm/run.ts (`npm run test:vm`), whose kernel has
        // ip6_tunnel and sch_netem; on the host its tests skip themselves.
        test: {
          name: 'vm',
          include: ['test/vm/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          // Everything is slower under software emulation, teardown included.
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
