/**
 * `npm run perf`: llem's own performance benchmarks. Prints medians, ratios and pass/fail against the
 * targets; exits 1 if a target is missed. Numbers are machine-dependent: compare runs on one machine.
 */
import { harnessOverhead } from './harness-overhead.perf.js'
import { helpLatency, listLatency } from './cli-startup.perf.js'

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
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2))
process.exit(Object.values(results).every((r) => r.pass) ? 0 : 1)
