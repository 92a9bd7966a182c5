/**
 * `npm run perf`: llem's own performance benchmarks. Prints medians, ratios and pass/fail against the
 * targets; exits 1 if a target is missed. Numbers are machine-dependent: compare runs on one machine.
 */
import { harnessOverhead } from './harness-overhead.perf.js'
import { helpLatency, listLatency } from './cli-startup.perf.js'
import { nvmlCosts } from './nvml-sampling.perf.js'
import { schedulingOverhead, soak } from './scheduling.perf.js'
import { sseClientCapacity } from './sse-client.perf.js'

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const want = (name: string) => only.length === 0 || only.includes(name)
const results: Record<string, { pass: boolean } & Record<string, unknown>> = {}
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toPrecision(3))

if (want('help')) {
  const r = helpLatency()
  results.help = r
  console.log(`llem --help            median ${fmt(r.median_ms)} ms (target < ${r.target_ms} ms)  ${r.pass ? 'PASS' : 'FAIL'}`)
}
if (want('list')) {
  const r = listLatency()
  results.list = r
  console.log(`llem list, ${r.files} files    median ${fmt(r.median_ms)} ms (target < ${r.target_ms} ms)  ${r.pass ? 'PASS' : 'FAIL'}`)
}
if (want('overhead')) {
  const r = await harnessOverhead()
  results.overhead = r
  console.log(`harness overhead       llem ${fmt(r.median_llem)} tok/s vs bare ${fmt(r.median_bare)} tok/s, ratio ${r.ratio.toFixed(3)} (target >= ${r.target})  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  llem samples ${r.llem_tok_s.map(fmt).join(', ')}; bare samples ${r.bare_tok_s.map(fmt).join(', ')}`)
}
for (const gpus of want('nvml') ? [1, 8] : []) {
  const r = await nvmlCosts(gpus)
  results[`nvml_${gpus}`] = r
  console.log(`nvml (fake driver)     counter read median ${r.counter_read_median_us.toFixed(3)} us (target < 2 us)  ${r.counter_read_median_us < 2 ? 'PASS' : 'FAIL'}`)
  console.log(`  sampling ${r.devices} GPUs every 10 ms adds ${r.sampler_cpu_pct.toFixed(2)}% of one core (target < 1%; timeline floor ${r.timeline_floor_cpu_pct.toFixed(2)}%, with nvml ${r.timeline_with_nvml_cpu_pct.toFixed(2)}%, ${r.samples_taken} samples)  ${r.sampler_cpu_pct < 1 ? 'PASS' : 'FAIL'}`)
}
if (want('scheduling')) {
  const r = schedulingOverhead()
  results.scheduling = r
  console.log(`scheduling overhead    median ${fmt(r.median_overhead_ms)} ms per experiment (target < ${r.target_ms} ms; wall ${fmt(r.median_wall_ms)} ms, session ${fmt(r.median_session_ms)} ms, ${r.experiments} trivial experiments)  ${r.pass ? 'PASS' : 'FAIL'}`)
}
if (want('sse')) {
  const r = await sseClientCapacity()
  results.sse = r
  console.log(`sse client             ${r.capacity.map((c) => `${c.streams} streams ${fmt(c.chunks_per_sec)} chunks/s`).join(', ')} (target >= 170k at 256)`)
  console.log(`  64 streams x 5 ms: lag p99 ${r.cadence.lag_p99_ms.toFixed(2)} ms (target < 1), ITL p99 ${r.cadence.itl_p99_ms.toFixed(2)} ms vs server gap p99 ${r.cadence.server_gap_p99_ms.toFixed(2)} ms (target within 1 ms)  ${r.pass ? 'PASS' : 'FAIL'}`)
}
// the soak takes minutes: only when asked for by name
if (only.includes('soak')) {
  const r = soak()
  results.soak = r
  console.log(`soak                   ${r.completed}/${r.experiments} experiments in ${r.minutes.toFixed(1)} min; main RSS ${fmt(r.rss_mb_at_20)} -> ${fmt(r.rss_mb_at_end)} MB (+${fmt(r.rss_growth_mb)} MB, target < 50); fds ${r.fds_at_20} -> ${r.fds_at_end}  ${r.pass ? 'PASS' : 'FAIL'}`)
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2))
process.exit(Object.values(results).every((r) => r.pass) ? 0 : 1)
