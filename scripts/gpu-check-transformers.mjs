// The transformers backend with the real library on a real GPU (run by scripts/gpu-check when the
// python has torch and transformers): a random-weight model of Llama 3.2 1B's shape in bfloat16,
// through `llem bench` (built dist/) with the NVML probe, at batch 1 and batch 16. Prints a Markdown
// table for docs/gpu-validation.md.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const python = process.env.PYTHON ?? 'python3'
const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-gpu-transformers-'))
mkdirSync(path.join(dir, 'benchmarks'))
writeFileSync(path.join(dir, 'llem.config.ts'), `export default {
  probes: ['nvml'],
  measurement: { baseline: { seconds: 10 }, warmup: { mode: 'fixed', requests: 3 }, sampleIntervalMs: 50 },
  generation: { maxTokens: 64 },
}
`)
const backend = (batchSize) => JSON.stringify({ name: 'transformers', python, dtype: 'bfloat16', batchSize })
writeFileSync(path.join(dir, 'benchmarks', 'hf.bench.ts'), `import { describe, bench } from 'llem'
describe('random llama-1b bf16', { model: { random: 'llama-1b' }, dataset: { synthetic: { inputTokens: 128, n: 32 } } }, () => {
  bench('batch 1', { backend: ${backend(1)}, load: { requests: 12 } })
  bench('batch 16', { backend: ${backend(16)}, load: { concurrency: 16, requests: 64 } })
})
`)
const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'llem.js'), 'bench'], { cwd: dir, stdio: 'inherit', env: { ...process.env, CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? '0' } })
const runs = path.join(dir, 'llem-results')
const runDir = path.join(runs, readdirSync(runs).filter((d) => !d.startsWith('.')).sort().pop())
const all = readdirSync(path.join(runDir, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(runDir, 'aggregated', f), 'utf8')))
const f = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : 'n/a')
const out = (s = '') => process.stdout.write(s + '\n')
const first = all[0]?.process_results[0]
out(`\ncard ${first?.gpu_name ?? 'n/a'}; ${Object.entries(first?.environment?.software ?? {}).filter(([k]) => ['python', 'torch', 'transformers', 'torch.cuda'].includes(k)).map(([k, v]) => `${k} ${v}`).join(', ')}; ${first?.model_load?.parameters ?? 'n/a'} parameters, load ${f((first?.model_load?.load_time_ms ?? NaN) / 1000, 1)} s`)
out('\n| bench | status | latency mode | J/token | energy method | TTFT median ms | ITL median ms | output tok/s | peak memory MB (source) | effective batch | padding |')
out('|---|---|---|---|---|---|---|---|---|---|---|')
for (const a of all.sort((x, y) => x.bench.name.localeCompare(y.bench.name, 'en', { numeric: true }))) {
  const p = a.process_results[0]
  const m = p.extended_metrics
  if (a.status !== 'completed') {
    out(`| ${a.bench.name} | ${a.status}: ${a.error?.message ?? ''} |||||||||| `)
    continue
  }
  out(`| ${a.bench.name} | ${a.status} | ${p.inference_metrics.latency_measurements.measurement_mode} | ${f(a.avg_energy_per_token_j, 4)} | ${a.energy_method} | ${f(a.latency_stats?.ttft_median_ms)} | ${f(a.latency_stats?.itl_median_ms)} | ${f(a.output_tokens_per_second, 1)} | ${f(m.memory.peak_memory_mb, 0)} (${m.memory.source}) | ${f(m.batch.effective_batch_size)} | ${f(m.batch.padding_overhead, 3)} |`)
}
out(`\nwarnings: ${[...new Set(all.flatMap((a) => a.measurement_warnings ?? []))].join('; ') || 'none'}`)
process.exit(r.status ?? 1)
