/**
 * Harness overhead: output tokens/s that llem reports for llama-cpp vs a bare node-llama-cpp loop on
 * the same model and settings, interleaved run by run so machine noise hits both alike.
 * Target: median(llem) / median(bare) >= 0.97.
 * Beside it, the noise floor: a second bare loop in every round, against the first. Where the two bare
 * loops differ by more than llem does from either, the target cannot be judged on this machine today.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { BIN, median, project, REPO, run } from './util.js'

export async function harnessOverhead(rounds = 7, requests = 32, maxTokens = 64) {
  const dir = project({
    'llem.config.json': JSON.stringify({
      measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 4 } },
      generation: { maxTokens },
      load: { requests },
      reporters: ['json'],
    }),
    'benchmarks/overhead.bench.ts': `import { bench } from 'llem'
bench('overhead', { backend: { name: 'llama-cpp', threads: 1 }, model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs'] } })
`,
  })
  const llem: number[] = []
  const bare: number[] = []
  const again: number[] = []
  let modelPath = ''
  for (let i = 0; i < rounds; i++) {
    run(process.execPath, [BIN, 'bench'], dir)
    const runs = readdirSync(path.join(dir, 'llem-results')).sort()
    const json = JSON.parse(readFileSync(path.join(dir, 'llem-results', runs[runs.length - 1], 'results.json'), 'utf8'))
    const result = json.results[0]
    llem.push(result.output_tokens_per_second)
    modelPath = result.process_results[0].model_load.model_path
    bare.push(bareLoop(modelPath, requests, maxTokens, dir))
    again.push(bareLoop(modelPath, requests, maxTokens, dir))
  }
  const ratio = median(llem) / median(bare)
  // each round's llem against the bare loop right after it: slow drift of the machine cancels
  const paired = median(llem.map((l, i) => l / bare[i]))
  const noise = median(again) / median(bare)
  return { llem_tok_s: llem, bare_tok_s: bare, bare_again_tok_s: again, median_llem: median(llem), median_bare: median(bare), ratio, paired_ratio_median: paired, noise_floor_ratio: noise, target: 0.97, pass: ratio >= 0.97 }
}

function bareLoop(modelPath: string, requests: number, maxTokens: number, dir: string): number {
  const b = run(process.execPath, [path.join(REPO, 'node_modules', 'jiti', 'lib', 'jiti-cli.mjs'), path.join(REPO, 'benchmarks', 'perf', 'bare-llama-loop.ts'), modelPath, String(requests), String(maxTokens), '4'], dir)
  return JSON.parse(b.stdout.trim().split('\n').pop()!).output_tokens_per_second
}
