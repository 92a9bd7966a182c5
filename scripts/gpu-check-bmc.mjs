// Validate the whole-node probes (redfish, ipmi) on a real server: availability and reason, the BMC's
// stated intervals, how long it takes to answer, the energy counter's step, and node power at idle
// and under a 20 s GPU load beside the GPUs' own (NVML) power: the node must read above the GPUs, and
// its rise under load should be close to theirs. Run by scripts/gpu-check when a BMC is reachable:
// ipmitool with /dev/ipmi0 (local), or LLEM_REDFISH_URL (+ LLEM_REDFISH_USER / LLEM_REDFISH_PASSWORD,
// LLEM_REDFISH_CA or LLEM_REDFISH_INSECURE=1). Paste what it prints into docs/gpu-validation.md.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { ipmiProbe } from '../dist/plugins/probes/bmc/ipmi.js'
import { redfishProbe } from '../dist/plugins/probes/bmc/redfish.js'
import { nvmlProbe } from '../dist/plugins/probes/nvml/index.js'

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const probes = []
if (process.env.LLEM_REDFISH_URL) probes.push([redfishProbe, { url: process.env.LLEM_REDFISH_URL, ...(process.env.LLEM_REDFISH_CA ? { caFile: process.env.LLEM_REDFISH_CA } : {}), ...(process.env.LLEM_REDFISH_INSECURE === '1' ? { insecure: true } : {}) }])
probes.push([ipmiProbe, {}])
const nvml = (await nvmlProbe.available({})).available ? await nvmlProbe.open({}) : null
const gpuW = () => Object.entries(nvml?.sample({ full: true }) ?? {}).filter(([k]) => k.endsWith('_power_w')).reduce((a, [, v]) => a + v, 0)

for (const [probe, options] of probes) {
  const a = await probe.available(options)
  console.log(`${probe.name}: ${a.available ? 'available' : 'unavailable'}: ${a.reason}`)
  if (!a.available) continue
  const s = await probe.open(options)
  const window = async (label, seconds) => {
    const t0 = performance.now()
    const e0 = s.readEnergy()[0].energy_j
    let g = 0
    let n = 0
    while (performance.now() - t0 < seconds * 1000) {
      g += gpuW()
      n++
      await sleep(100)
    }
    const t1 = performance.now()
    const node = (s.readEnergy()[0].energy_j - e0) / ((t1 - t0) / 1000)
    console.log(`  ${label}: node ${node.toFixed(1)} W (${s.method}), GPUs ${(g / n).toFixed(1)} W (NVML), rest ${(node - g / n).toFixed(1)} W; covered: ${s.coverage(t0, t1) ?? 'yes'}`)
    return { node, gpu: g / n }
  }
  const idle = await window('idle', 20)
  const load = spawn(process.env.PYTHON ?? 'python3', [path.join(path.dirname(new URL(import.meta.url).pathname), 'gpu-load.py'), '25'], { stdio: ['ignore', 'ignore', 'inherit'] })
  await sleep(3000)
  const busy = await window('GPU load', 20)
  await new Promise((r) => load.on('close', r))
  console.log(`  rise under load: node +${(busy.node - idle.node).toFixed(1)} W, GPUs +${(busy.gpu - idle.gpu).toFixed(1)} W`)
  const d = s.describe()
  console.log(`  polling ${d.polling_interval_ms} ms, mean answer ${d.mean_round_trip_ms?.toFixed?.(0)} ms, BMC sensing ${d.bmc_sensing_interval_ms ?? 'n/a'} ms, averaging ${d.bmc_averaging_interval_sec ?? 'n/a'} s, counter step ${d.counter_step_j ?? 'n/a'} J`)
  for (const w of s.warnings()) console.log(`  warning: ${w}`)
  await s.close()
}
await nvml?.close()
