import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // end-to-end tests spawn the real CLI and llama.cpp workers: give them room on a 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
