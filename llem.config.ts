import { defineConfig } from 'llem'

// The repo's own config: what `npx llem bench` runs on a fresh clone (CPU only, about a minute).
export default defineConfig({
  include: ['benchmarks/**/*.bench.ts'],
  exclude: ['benchmarks/perf/**', '**/node_modules/**'],
  reporters: ['console', 'json'],
  measurement: {
    // a short idle baseline, cached for an hour per machine and probe set
    baseline: { seconds: 3 },
    warmup: { maxRequests: 20 },
    sampleIntervalMs: 50,
  },
})
