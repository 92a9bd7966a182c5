/**
 * What `llem init` writes: a config, a first bench that runs on any machine with no download (a
 * random-weight llama on the CPU through the llama-cpp backend, which llem depends on), and a GitHub
 * Actions workflow that runs the benches on every push and pull request.
 */

export const CONFIG_TEMPLATE = `import { defineConfig } from 'llem'

// Every option: node_modules/llem/docs/configuration.md. Every key can be overridden per bench,
// by an LLEM_* environment variable or by a flag (\`npx llem bench --load.concurrency 4\`).
export default defineConfig({
  include: ['benchmarks/**/*.bench.ts'],
  reporters: ['console', 'json'],
  measurement: {
    // the idle power subtracted from each experiment, measured before it (30 s by default, cached for
    // an hour); 5 s keeps a first run short, lengthen it for numbers you will publish
    baseline: { seconds: 5 },
  },
})
`

export const FIRST_BENCH_TEMPLATE = `import { bench } from 'llem'

// A random-weight llama (about 0.9M parameters), generated on first use and cached: no download, no
// GPU, real llama.cpp tokens. Swap in your own model and backend, e.g.
//   backend: { name: 'openai', baseURL: 'http://localhost:8000/v1' }, model: 'my-served-model'
//   backend: 'llama-cpp', model: 'models/my-model.gguf'
bench('first: random llama 1M on the CPU', {
  backend: 'llama-cpp',
  model: { random: 'llama-1m' },
  dataset: { prompts: ['Hello', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs'], repeat: 2 },
  generation: { maxTokens: 32 },
})
`

/** `install`: \`npm ci\` where the project has a lock file, else \`npm install\`. */
export function workflowTemplate(install: string): string {
  return `# Runs llem's benches on every push to main and every pull request (written by \`llem init\`).
# On a GitHub-hosted runner energy is a CPU estimate, and noisy; a self-hosted GPU runner measures it.
# Gating a pull request on a baseline run: node_modules/llem/docs/ci.md.
name: llem
on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

jobs:
  bench:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: ${install}

      - name: Benchmark
        # markdown: the results table in the job summary; github-actions: failures and measurement warnings annotated
        run: npx llem bench --results-dir llem-results --reporter console --reporter json --reporter markdown --reporter github-actions

      - name: Keep the results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: llem-results
          path: llem-results/
`
}
