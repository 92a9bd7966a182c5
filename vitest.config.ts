import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

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
    include: ['test/**/*.test.ts'],
    // end-to-end tests spawn the real CLI and llama.cpp workers: give them room on a 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // each run's temp files in a directory of their own, removed when it ends (test/fixtures/temp-root.ts)
    globalSetup: ['test/fixtures/temp-root.ts'],
  },
})
