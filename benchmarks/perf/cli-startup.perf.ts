/**
 * CLI latency a user feels: `llem --help` (target median < 100 ms) and `llem list` over 50 bench files
 * (target median < 250 ms; issue 21's targets). Whole-process wall time, including Node's own start.
 */
import { BIN, median, project, run } from './util.js'

export function helpLatency(rounds = 15) {
  const dir = project({})
  const ms = Array.from({ length: rounds }, () => run(process.execPath, [BIN, '--help'], dir).ms)
  return { samples_ms: ms, median_ms: median(ms), target_ms: 100, pass: median(ms) < 100 }
}

export function listLatency(files = 50, rounds = 9) {
  const tree: Record<string, string> = {}
  for (let i = 0; i < files; i++)
    tree[`benchmarks/group-${i % 5}/file-${i}.bench.ts`] = `import { describe, bench } from 'llem'
describe('suite ${i}', { backend: 'llama-cpp', model: { random: 'llama-1m' } }, () => {
  bench('a', { dataset: { prompts: ['x'] } })
  bench('b', { sweep: { 'load.concurrency': [1, 2] }, dataset: { synthetic: { inputTokens: 8, n: 2 } } })
})
`
  const dir = project(tree)
  const ms = Array.from({ length: rounds }, () => run(process.execPath, [BIN, 'list'], dir).ms)
  return { files, samples_ms: ms, median_ms: median(ms), target_ms: 250, pass: median(ms) < 250 }
}
