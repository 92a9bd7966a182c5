/**
 * CLI latency a user feels: `llem --help` (target median < 100 ms) and `llem list` over 50 bench files
 * (target median < 250 ms; issue 21's targets). Whole-process wall time, including Node's own start.
 * Beside each, the floors measured in the same rounds (interleaved, so load on the machine hits both
 * alike): Node starting and exiting (`node -e 0`), and for list Node importing the two dependencies
 * every plan needs (zod, which validates it, and jiti, which loads the bench files). What is left
 * above them is llem's own.
 */
import { BIN, median, project, run } from './util.js'

const NODE_FLOOR = ['-e', '0']
// jiti as llem loads it (core/load-jiti.ts: its CommonJS entry)
const IMPORT_FLOOR = ['--input-type=module', '-e', "await import('zod'); (await import('node:module')).createRequire(import.meta.url)('jiti')"]

export function helpLatency(rounds = 15) {
  const dir = project({})
  const ms: number[] = []
  const floor: number[] = []
  for (let i = 0; i < rounds; i++) {
    floor.push(run(process.execPath, NODE_FLOOR, dir).ms)
    ms.push(run(process.execPath, [BIN, '--help'], dir).ms)
  }
  return { samples_ms: ms, median_ms: median(ms), node_floor_ms: median(floor), own_ms: median(ms) - median(floor), target_ms: 100, pass: median(ms) < 100 }
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
  const ms: number[] = []
  const floor: number[] = []
  const imports: number[] = []
  for (let i = 0; i < rounds; i++) {
    floor.push(run(process.execPath, NODE_FLOOR, dir).ms)
    // from the repository, where zod and jiti resolve
    imports.push(run(process.execPath, IMPORT_FLOOR, new URL('../..', import.meta.url).pathname).ms)
    ms.push(run(process.execPath, [BIN, 'list'], dir).ms)
  }
  const m = median(ms)
  return { files, samples_ms: ms, median_ms: m, node_floor_ms: median(floor), dependency_floor_ms: median(imports), own_ms: m - median(imports), target_ms: 250, pass: m < 250 }
}
