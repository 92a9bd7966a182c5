/**
 * `npm run perf`: llem's own performance benchmarks. Prints medians, ratios and pass/fail against the
 * targets; exits 1 if a target is missed. Numbers are machine-dependent: compare runs on one machine.
 * `npx jiti benchmarks/perf/run.ts [names...] [--json]`; `--help` lists the names.
 */
import { harnessOverhead } from './harness-overhead.perf.js'
import { helpLatency, listLatency } from './cli-startup.perf.js'
import { jetsonCosts } from './jetson-sampling.perf.js'
import { nvmlCosts } from './nvml-sampling.perf.js'
import { bmcCosts } from './bmc-sampling.perf.js'
import { amdsmiCosts } from './amdsmi-sampling.perf.js'
import { schedulingOverhead, soak } from './scheduling.perf.js'
import { sseClientCapacity } from './sse-client.perf.js'
import { reportFormats } from './report-formats.perf.js'
import { sweepPlan } from './sweep-plan.perf.js'
import { transformersOverhead } from './transformers-overhead.perf.js'

const HELP = `usage: npx jiti benchmarks/perf/run.ts [name...] [--json] [--threads 1,2,auto]   (no name: all but soak)
  help        llem --help latency
  list        llem list latency on a project of many bench files
  overhead    harness overhead: llem vs a bare node-llama-cpp loop, tokens/s
  nvml        NVML counter read cost and 10 ms sampling CPU (fake driver, 1 and 8 GPUs, 4 GH200s)
  jetson      Jetson rails: one read of every rail and 10 ms sampling CPU (fake sysfs: TX2 iio, AGX Orin hwmon)
  amdsmi      AMD SMI counter read cost and 10 ms sampling CPU (fake library, 1 and 8 GPUs)
  bmc         redfish / ipmi node probes: a harness read (the last answer) and the CPU of polling the
              BMC in the background during a 10 ms timeline (scripted HTTPS BMC, stand-in ipmitool)
  scheduling  per-experiment scheduling overhead in the main process
  sse         the openai backend's SSE client against a C peer (cc needed), client on core 0, peer
              on core 1 (taskset): the peer alone (raw reader), client chunks/s at 1/64/256 streams
              (median of 5 runs; >= 170k at 256); then at 64 streams x 5 ms and 1,024 and 4,096
              streams x 20 ms: the lag send -> stamp (p99 < 1 ms at 64 x 5 ms) and ITL p99 vs the
              peer's own send-gap p99 (within 1 ms), the client's CPU per chunk (user + kernel;
              <= 2 us at 4,096 x 20 ms), read() calls per chunk and event-loop delay p99, the
              median of several rounds, beside a bare C reader's lag (the machine's floor) and a
              bare node:net reader's CPU per chunk (Node's and the kernel's floor), and the time
              the client was kept off its core per round. --threads 1,2,auto: the client's thread
              counts (load.clientThreads; above 1 on every core but the peer's). Other work on the
              machine, or on the host under a VM, lowers these: the load average is printed
  formats     every peer report format for 1,000 experiments x 100 requests: time and peak RSS
  sweep       a 10,000-experiment sweep (two 100-value axes): llem list --json and llem bench --dry-run,
              wall time, CPU time and peak RSS of each
  transformers  the transformers backend on the real stack (CPU): llem's tok/s vs a bare model.generate()
              loop in the same Python environment (tf5 of scripts/build-python-envs)
  soak        minutes of tiny experiments: main-process RSS and fds (only when named)`
if (process.argv.includes('--help')) {
  console.log(HELP)
  process.exit(0)
}
// --threads 1,2,auto: the SSE client's thread counts (sse); its value is not a benchmark's name
const threadsAt = process.argv.indexOf('--threads')
const sseThreads = threadsAt > 0 ? (process.argv[threadsAt + 1] ?? '').split(',') : ['1']
if (sseThreads.some((t) => !/^([1-9]\d*|auto)$/.test(t))) {
  console.error(`--threads ${process.argv[threadsAt + 1] ?? ''}: a comma-separated list of thread counts (positive integers or auto), e.g. --threads 1,2,auto`)
  process.exit(2)
}
const only = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--threads')
const want = (name: string) => only.length === 0 || only.includes(name)
const results: Record<string, { pass: boolean } & Record<string, unknown>> = {}
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toPrecision(3))

if (want('help')) {
  const r = helpLatency()
  results.help = r
  console.log(`llem --help            median ${fmt(r.median_ms)} ms (target < ${r.target_ms} ms)  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  floor: node -e 0 ${fmt(r.node_floor_ms)} ms; llem's own ${fmt(r.own_ms)} ms`)
}
if (want('list')) {
  const r = listLatency()
  results.list = r
  console.log(`llem list, ${r.files} files    median ${fmt(r.median_ms)} ms (target < ${r.target_ms} ms)  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  floors: node -e 0 ${fmt(r.node_floor_ms)} ms; node importing zod and jiti ${fmt(r.dependency_floor_ms)} ms; llem's own ${fmt(r.own_ms)} ms`)
}
if (want('overhead')) {
  const r = await harnessOverhead()
  results.overhead = r
  console.log(`harness overhead       llem ${fmt(r.median_llem)} tok/s vs bare ${fmt(r.median_bare)} tok/s, ratio ${r.ratio.toFixed(3)} (target >= ${r.target})  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  llem samples ${r.llem_tok_s.map(fmt).join(', ')}; bare samples ${r.bare_tok_s.map(fmt).join(', ')}`)
  console.log(`  median of each round's llem / bare ${r.paired_ratio_median.toFixed(3)}; noise floor: a second bare loop each round, against the first, ${r.noise_floor_ratio.toFixed(3)} (samples ${r.bare_again_tok_s.map(fmt).join(', ')})`)
}
if (want('bmc')) {
  const r = await bmcCosts()
  results.bmc = r
  console.log(`bmc node probes        read: redfish ${fmt(r.redfish_read_median_us)} us, ipmi ${fmt(r.ipmi_read_median_us)} us (median, target < 100 us); polling at ${r.redfish_polling_interval_ms} / ${r.ipmi_polling_interval_ms} ms adds ${fmt(r.redfish_added_cpu_pct)}% / ${fmt(r.ipmi_added_cpu_pct)}% of a core to a 10 ms timeline (floor ${fmt(r.timeline_floor_cpu_pct)}%, target < 1%)  ${r.pass ? 'PASS' : 'FAIL'}`)
}
for (const [gpus, superchip] of want('nvml') ? ([[1, false], [8, false], [4, true]] as const) : []) {
  const r = await nvmlCosts(gpus, 3, superchip)
  results[`nvml_${gpus}${superchip ? '_gh200' : ''}`] = r
  console.log(`nvml (fake driver)     counter read median ${r.counter_read_median_us.toFixed(3)} us (target < 2 us)  ${r.counter_read_median_us < 2 ? 'PASS' : 'FAIL'}`)
  console.log(`  sampling ${r.devices} ${superchip ? 'GH200 superchips (GPU and module power)' : 'GPUs'} every 10 ms: its calls take ${r.sampler_cpu_pct.toFixed(3)}% of one core (target < 1%; whole process: timeline floor ${r.timeline_floor_cpu_pct.toFixed(2)}%, with nvml ${r.timeline_with_nvml_cpu_pct.toFixed(2)}%, difference ${r.whole_process_difference_cpu_pct.toFixed(2)}%, medians of 3 alternated rounds, ${r.samples_taken} samples; the window's two edge reads, once per window, ${r.window_edges_cpu_ms.toFixed(1)} ms CPU)  ${r.sampler_cpu_pct < 1 ? 'PASS' : 'FAIL'}`)
}
for (const gpus of want('amdsmi') ? [1, 8] : []) {
  const r = await amdsmiCosts(gpus)
  results[`amdsmi_${gpus}`] = r
  console.log(`amdsmi (fake library) counter read median ${r.counter_read_median_us.toFixed(3)} us (target < 2 us)  ${r.counter_read_median_us < 2 ? 'PASS' : 'FAIL'}`)
  console.log(`  sampling ${r.devices} GPUs every 10 ms: its calls take ${r.sampler_cpu_pct.toFixed(3)}% of one core (target < 1%; whole process: timeline floor ${r.timeline_floor_cpu_pct.toFixed(2)}%, with amdsmi ${r.timeline_with_amdsmi_cpu_pct.toFixed(2)}%, difference ${r.whole_process_difference_cpu_pct.toFixed(2)}%, medians of 3 alternated rounds, ${r.samples_taken} samples; the window's two edge reads, once per window, ${r.window_edges_cpu_ms.toFixed(1)} ms CPU)  ${r.sampler_cpu_pct < 1 ? 'PASS' : 'FAIL'}`)
}
for (const board of want('jetson') ? (['tx2', 'agx-orin'] as const) : []) {
  const r = await jetsonCosts(board)
  results[`jetson_${board}`] = r
  console.log(`jetson ${board} (fake sysfs)  read of all ${r.rails} rails median ${r.read_all_rails_median_us.toFixed(1)} us (target < 1000 us)  ${r.read_all_rails_median_us < 1000 ? 'PASS' : 'FAIL'}`)
  console.log(`  sampling every 10 ms: its calls take ${r.sampler_cpu_pct.toFixed(3)}% of one core (target < 1%; whole process: timeline floor ${r.timeline_floor_cpu_pct.toFixed(2)}%, with jetson ${r.timeline_with_jetson_cpu_pct.toFixed(2)}%, difference ${r.whole_process_difference_cpu_pct.toFixed(2)}%, medians of 3 alternated rounds, ${r.samples_taken} samples; the window's two edge reads, once per window, ${r.window_edges_cpu_ms.toFixed(1)} ms CPU)  ${r.sampler_cpu_pct < 1 ? 'PASS' : 'FAIL'}`)
}
if (want('scheduling')) {
  const r = schedulingOverhead()
  results.scheduling = r
  console.log(`scheduling overhead    median ${fmt(r.median_overhead_ms)} ms per experiment (target < ${r.target_ms} ms; wall ${fmt(r.median_wall_ms)} ms, session ${fmt(r.median_session_ms)} ms, ${r.experiments} trivial experiments)  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  floor: a worker process's own start (node, worker.js and its imports) ${fmt(r.worker_start_ms)} ms, started ahead at the previous experiment's end of measuring`)
}
if (want('sse')) {
  const r = await sseClientCapacity(sseThreads)
  results.sse = r
  const k = (n: number) => `${(n / 1000).toFixed(0)}k`
  const at = (xs: { streams: number; chunks_per_sec: number }[]) => xs.map((c) => `${c.streams}: ${k(c.chunks_per_sec)}`).join(', ')
  console.log(`sse peer alone         chunks/s at ${at(r.server)} streams (C reader; ${r.pinned ? 'peer on core 1, reader on core 0' : 'not pinned'})`)
  console.log(`sse client             chunks/s at ${at(r.client)} streams (target >= 170k at 256; peer headroom x${r.server_headroom_at_256.toFixed(1)})  ${r.capacity_pass ? 'PASS' : 'FAIL'}`)
  console.log(`  per CPU-second of the client: ${r.client.map((c) => `${c.streams}: ${k(c.chunks_per_cpu_sec)}`).join(', ')}; client busy ${r.client.map((c) => `${Math.round(c.client_busy * 100)}%`).join(', ')}; runs at 256: ${r.client[2].runs.map(k).join(', ')}`)
  const ms = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d))
  for (const [i, c] of r.cadence.entries()) {
    const verdict = i === 0 ? ` (targets: lag p99 < 1, ITL within 1 ms)  ${r.cadence_pass ? 'PASS' : 'FAIL'}` : ''
    console.log(`  ${c.streams} streams x ${c.gap_ms} ms, ${c.tokens} chunks each${verdict}`)
    for (const t of c.threads) {
      const rounds = t.lag_p99_rounds_ms.map((x, j) => `${x.toFixed(2)}${t.runqueue_wait_rounds_ms[j] === null ? '' : ` [${t.runqueue_wait_rounds_ms[j]!.toFixed(0)}]`}`).join(', ')
      console.log(`    client ${t.threads} thread${t.threads === '1' ? '' : 's'} (cores ${t.client_cores ?? 'unpinned'}): lag p50 ${ms(t.lag_p50_ms, 3)} ms, p99 ${ms(t.lag_p99_ms, 3)} ms (rounds ${rounds}), ITL p99 ${ms(t.itl_p99_ms)} ms vs server gap p99 ${ms(t.server_gap_p99_ms)} ms`)
      const cpuVerdict = i === 2 ? ` (target <= 2 us)  ${r.cpu_pass ? 'PASS' : 'FAIL'}` : ''
      console.log(`      CPU ${ms(t.cpu_us_per_chunk)} us per chunk, ${ms(t.system_us_per_chunk)} of it in the kernel (rounds ${t.cpu_us_per_chunk_rounds.map((x) => x.toFixed(2)).join(', ')})${cpuVerdict}; ${ms(t.reads_per_chunk)} read() per chunk; event-loop delay p99 ${ms(t.loop_delay_p99_ms)} ms`)
    }
    console.log(`    floors: a bare C reader's lag p50 ${c.c_reader_lag_p50_ms.toFixed(3)} ms, p99 ${c.c_reader_lag_p99_ms.toFixed(3)} ms (rounds ${c.c_reader_lag_p99_rounds_ms.map((x) => x.toFixed(2)).join(', ')}); a bare node:net reader ${c.bare_node_cpu_us_per_chunk.toFixed(2)} us CPU per chunk (${c.bare_node_system_us_per_chunk.toFixed(2)} in the kernel, ${ms(c.bare_node_reads_per_chunk)} read() per chunk)`)
  }
  console.log(`  [n]: ms in that round the client was runnable but kept off its core by other threads or processes`)
  console.log(`  load average ${r.load_average.before.toFixed(2)} before, ${r.load_average.after.toFixed(2)} after (other work on the machine lowers these figures)`)
}
if (want('formats')) {
  const r = reportFormats()
  results.formats = r
  console.log(`report formats         ${r.experiments} experiments x ${r.requests} requests, every peer format: ${fmt(r.total_ms)} ms (target < ${r.target_ms} ms; CPU ${fmt(r.cpu_ms)} ms), peak RSS ${fmt(r.peak_rss_mb)} MB (target < ${r.target_rss_mb} MB)  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  ${Object.entries(r.per_format_ms).map(([k, v]) => `${k} ${fmt(v)} ms`).join(', ')}; ${fmt(r.output_mb)} MB written; RSS with the inputs built ${fmt(r.inputs_rss_mb)} MB; load average ${r.load_average.toFixed(2)}`)
  console.log(`  floor: the same ${r.fs_floor.files} files and ${r.fs_floor.dirs} directories written again from one buffer (bare mkdirSync, writeFileSync) ${fmt(r.fs_floor.ms)} ms; llem's own beyond it ${fmt(r.total_ms - r.fs_floor.ms)} ms`)
}
if (want('sweep')) {
  const r = sweepPlan()
  results.sweep = r
  for (const [cmd, c] of Object.entries(r.commands)) {
    console.log(`llem ${cmd.padEnd(15)}   ${r.experiments} experiments: median ${fmt(c.median_ms)} ms (target < ${r.target_ms} ms; CPU ${fmt(c.median_cpu_ms)} ms), peak RSS ${fmt(c.peak_rss_mb)} MB (target < ${r.target_rss_mb} MB), ${fmt(c.stdout_mb)} MB out  ${c.pass ? 'PASS' : 'FAIL'}`)
    console.log(`  floor: the same on a one-point sweep ${fmt(c.floor_ms)} ms (CPU ${fmt(c.floor_cpu_ms)} ms); the ${r.experiments} experiments' own ${fmt(c.median_ms - c.floor_ms)} ms, ${fmt((1000 * (c.median_ms - c.floor_ms)) / r.experiments)} µs each`)
  }
  console.log(`  load average ${r.load_average.toFixed(2)} (other work on the machine slows the wall times; CPU time less so)`)
}
if (want('transformers')) {
  const r = await transformersOverhead()
  results.transformers = r
  console.log(`transformers overhead  llem's worker ${fmt(r.llem_tok_s)} tok/s vs bare generate() ${fmt(r.bare_tok_s)} tok/s, ratio ${r.ratio.toFixed(3)} (target >= ${r.target})  ${r.pass ? 'PASS' : 'FAIL'}`)
  console.log(`  upper quartiles of ${r.rounds} rotated turns of ${r.per_turn} requests x ${r.max_tokens} tokens${r.pinned_cpu === null ? '' : ` on CPU ${r.pinned_cpu}`}; ratio of the totals ${r.totals_ratio.toFixed(3)}; outside generate() ${(r.outside_generate_share * 100).toFixed(2)}% of llem's time`)
  console.log(`  noise floor, a second bare loop against the first: ${r.aa_ratio.toFixed(3)} (totals ${r.aa_totals_ratio.toFixed(3)})`)
}
// the soak takes minutes: only when asked for by name
if (only.includes('soak')) {
  const r = soak()
  results.soak = r
  console.log(`soak                   ${r.completed}/${r.experiments} experiments in ${r.minutes.toFixed(1)} min; main RSS ${fmt(r.rss_mb_at_20)} -> ${fmt(r.rss_mb_at_end)} MB (+${fmt(r.rss_growth_mb)} MB, target < 50); fds ${r.fds_at_20} -> ${r.fds_at_end}  ${r.pass ? 'PASS' : 'FAIL'}`)
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2))
process.exit(Object.values(results).every((r) => r.pass) ? 0 : 1)
