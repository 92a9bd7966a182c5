// Validation of llem's amdsmi probe on a real AMD GPU (see scripts/gpu-check; runs when libamd_smi.so
// loads). Uses the built dist/. Checks what the fake library cannot: the ROCm release's struct
// layouts (a bad offset shows as absurd values here), the counter's resolution and update period,
// ROCr's numbering against AMD SMI's (rocminfo's GPU UUIDs in order against the inventory's rocr_uuid),
// shared package counters (MI250), the counter against integrated socket power under a PyTorch (ROCm)
// load, and the costs the NVML targets set: a counter read well under 1 ms, 10 ms sampling under 1%
// of a core. Prints a Markdown section for docs/gpu-validation.md.
import { execFileSync, spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { amdsmiProbe } from '../dist/plugins/probes/amdsmi/index.js'
import { AmdSmi } from '../dist/plugins/probes/amdsmi/amdsmi.js'
import { Timeline } from '../dist/core/measure/timeline.js'
import { energyBetween } from '../dist/core/measure/probe-set.js'
import { integrateColumn, thermalInfo } from '../dist/core/measure/device-method.js'

const loadSeconds = Number(process.env.GPU_CHECK_SECONDS ?? 30)
const out = (s = '') => process.stdout.write(s + '\n')
const availability = await amdsmiProbe.available({})
out(`## amdsmi\n\namdsmi: ${availability.reason}`)
if (!availability.available) process.exit(0)
const inventory = await amdsmiProbe.inventory({})
out('```'); for (const g of inventory) out(JSON.stringify(g)); out('```')

// ROCr's order and UUIDs, as the runtime the workload uses sees them
let rocr = []
try {
  rocr = [...execFileSync('rocminfo', { encoding: 'utf8' }).matchAll(/Uuid:\s+(GPU-[0-9a-fA-F]+)/g)].map((m) => m[1].toLowerCase())
} catch (e) {
  out(`rocminfo: ${e.message.split('\n')[0]}`)
}
const ours = inventory.map((g) => String(g.rocr_uuid).toLowerCase())
out(`ROCr UUIDs in order: ${rocr.join(', ') || 'none read'}; AMD SMI order: ${ours.join(', ')}; ${rocr.length && rocr.join() === ours.join() ? 'SAME ORDER AND IDS' : 'DIFFERENT: fix devices.ts before trusting indices'}`)

// a counter read on the real library (gpu_metrics from sysfs), median of 2000
const smi = AmdSmi.open()
const h = smi.processors()[0].handle
const reads = []
for (let i = 0; i < 2000; i++) {
  const t0 = process.hrtime.bigint()
  smi.energyCount(h)
  reads.push(Number(process.hrtime.bigint() - t0) / 1000)
}
reads.sort((a, b) => a - b)
const c = smi.energyCount(h)
smi.shutdown()
out(`counter read median ${reads[1000].toFixed(1)} us, p99 ${reads[1980].toFixed(1)} us (target well under 1000 us); resolution ${c.resolutionUj} uJ`)

process.env.ROCR_VISIBLE_DEVICES ??= '0'
const session = await amdsmiProbe.open({})
const device = session.devices()[0]
out(`pinned to ${device.name} ${device.uuid} (index ${device.index}); counter update period ${device.counter_update_period_ms?.toFixed(2) ?? 'unknown'} ms`)
for (const w of session.warnings()) out(`warning: ${w}`)

// sampling cost: the timeline at 10 ms on this GPU, CPU time over wall time
const cpu0 = process.cpuUsage()
const wall0 = performance.now()
const idle = new Timeline([session])
idle.start(10)
await new Promise((r) => setTimeout(r, 3000))
idle.stop()
const cpu = process.cpuUsage(cpu0)
out(`10 ms sampling: ${(((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100).toFixed(2)}% of one core including the timeline's own floor (target: the probe under 1%)`)

// a steady matmul load through ROCm PyTorch (torch.cuda is HIP there), counter vs integrated socket power
const timeline = new Timeline([session])
const e0 = timeline.start(10)
const t0 = performance.now()
await new Promise((resolve) => spawn(process.env.PYTHON ?? 'python3', ['scripts/gpu-load.py', String(loadSeconds)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, HIP_VISIBLE_DEVICES: '0' } }).on('close', resolve))
const e1 = timeline.stop()
const t1 = performance.now()
const counterJ = energyBetween(e0, e1).perDomain[`amdsmi:${device.uuid}`]
const integratedJ = integrateColumn(timeline.rows, device.columns.power_w, t0, t1)
out(`| quantity | value |\n|---|---|`)
out(`| window | ${((t1 - t0) / 1000).toFixed(1)} s |`)
out(`| counter energy | ${counterJ.toFixed(1)} J (${(counterJ / ((t1 - t0) / 1000)).toFixed(1)} W) |`)
out(`| integrated socket power | ${integratedJ === null ? 'n/a' : `${integratedJ.toFixed(1)} J, ${((100 * (integratedJ - counterJ)) / counterJ).toFixed(2)}% from the counter`} |`)
out(`| throttle reasons | ${JSON.stringify(thermalInfo(session.devices(), timeline.rows, t0, t1)?.devices[0].reasons ?? [])} |`)
out(`| describe | ${JSON.stringify(session.describe())} |`)
await session.close()
