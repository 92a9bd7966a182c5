import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { PARALLEL_FILES } from './test/fixtures/parallel-files.js'

const parallel = PARALLEL_FILES.map((name) => `test/${name}.test.ts`)

export default defineConfig({
  resolve: {
    // the built-in plugins import core as `llem/plugin/runtime` (user plugins as `llem/plugin`); Node resolves that name to dist/ (the
    // package's own exports), but a test runs core from source: one copy of core, not two (an error
    // class or the secrets redact.ts remembers would otherwise differ between plugin and core)
    alias: [
      { find: /^llem\/plugin$/, replacement: fileURLToPath(new URL('./core/plugin.ts', import.meta.url)) },
      { find: /^llem\/plugin\/runtime$/, replacement: fileURLToPath(new URL('./core/plugin-runtime.ts', import.meta.url)) },
    ],
  },
  test: {
    // end-to-end tests spawn the real CLI and llama.cpp workers: give them room on a 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // each run's temp files in a directory of their own, removed when it ends (test/fixtures/temp-root.ts)
    globalSetup: ['test/fixtures/temp-root.ts'],
    projects: [
      // first, two at a time: files whose assertions hold on a busy machine (test/fixtures/parallel-files.ts)
      { extends: true, test: { name: 'parallel', include: parallel, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      // then one at a time, alone on the machine: whatever measures time, speed or energy, or holds a
      // shared resource (a file not listed as parallel runs here)
      { extends: true, test: { name: 'serial', include: ['test/**/*.test.ts'], exclude: parallel, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
})
