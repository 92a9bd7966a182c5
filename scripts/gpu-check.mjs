// Validation of llem's NVML probe on a real GPU (see scripts/gpu-check). Uses the built dist/.
// Measures: idle baseline, then a steady PyTorch matmul load, comparing the energy counter with the
// integral of instant power and with PyTorch's own torch.cuda.power_draw average; counter update
// period; throttle reasons. Prints a Markdown table for docs/gpu-validation.md.
import { execFileSync, spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { nvmlProbe } from '../dist/plugins/probes/nvml/index.js'
import { Timeline } from '../dist/core/measure/timeline.js'
import { measureBaseline } from '../dist/core/measure/baseline.js'
import { energyBetween } from '../dist/core/measure/probe-set.js'
import { integrateColumn, thermalInfo } from '../dist/core/measure/device-method.js'
import { energyUncertainty } from '../dist/core/measure/uncertainty.js'
import { NVML_COUNTER, NVML_COUNTER_ACCURACY } from '../dist/plugins/probes/nvml/accuracy.js'

const loadSeconds = Number(process.env.GPU_CHECK_SECONDS ?? 60)
const out = (s = '') => process.stdout.write(s + '\n')

process.env.CUDA_VISIBLE_DEVICES ??= '0'
const availability = await nvmlProbe.available({})
out(`nvml: ${availability.reason}`)
if (!availability.available) process.exit(1)
out('```'); for (const g of await nvmlProbe.inventory({})) out(JSON.stringify(g)); out('```')

const session = await nvmlProbe.open({})
const [device] = session.devices()
out(`measuring ${device.name} ${device.uuid}; counter update period ${device.counter_update_period_ms?.toFixed(1) ?? 'n/a'} ms`)
const baseline = await measureBaseline([session], { enabled: true, seconds: 10, ttlSeconds: 0, sampleIntervalMs: 100, idleUtilisationPct: 5 }, path.join(os.tmpdir(), 'llem-gpu-check-baseline.json'))
out(`idle baseline: ${baseline.method}, ${baseline.power_w?.toFixed(1) ?? 'n/a'} W (${baseline.note})`)

// nvidia-smi's own reading of the same GPU, every 100 ms, stamped on arrival (power.draw is a 1 s
// average on recent drivers; power.draw.instant, where the driver has it, the instant reading)
const smiHelp = (() => { try { return execFileSync('nvidia-smi', ['--help-query-gpu'], { encoding: 'utf8' }) } catch { return '' } })()
const smiFields = ['power.draw', ...(smiHelp.includes('power.draw.instant') ? ['power.draw.instant'] : [])]
const smiSamples = []
let smiError = null
const smi = spawn('nvidia-smi', [`--query-gpu=${smiFields.join(',')}`, '--format=csv,noheader,nounits', '-lms', '100', '-i', device.uuid], { stdio: ['ignore', 'pipe', 'pipe'] })
smi.on('error', (e) => (smiError = e.message))
let smiBuf = ''
smi.stdout.on('data', (d) => {
  smiBuf += d
  const lines = smiBuf.split('\n')
  smiBuf = lines.pop()
  for (const line of lines) smiSamples.push([Date.now() / 1000, ...line.split(',').map((x) => Number(x.trim()))])
})

const timeline = new Timeline([session])
const child = spawn(process.env.PYTHON ?? 'python3', [path.join(path.dirname(new URL(import.meta.url).pathname), 'gpu-load.py'), String(loadSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] })
let stdout = ''
child.stdout.on('data', (d) => (stdout += d))
// let the load ramp up, then measure a window inside it (the rise-time transient is left out)
await new Promise((r) => setTimeout(r, 5000))
const wallStart = Date.now() / 1000
const e0 = timeline.start(100)
await new Promise((r) => setTimeout(r, (loadSeconds - 10) * 1000))
const e1 = timeline.stop()
const wallEnd = Date.now() / 1000
await new Promise((r) => child.on('close', r))
smi.kill()
const load = JSON.parse(stdout.trim().split('\n').pop())

const seconds = (e1.t - e0.t) / 1000
const counterJ = energyBetween(e0, e1).perDomain[`nvml:${device.uuid}`]
const integratedJ = integrateColumn(timeline.rows, device.columns.power_w, e0.t, e1.t)
const torchSamples = load.power_draw_mw.filter(([t]) => t >= wallStart && t <= wallEnd).map(([, mw]) => mw / 1000)
const torchAvgW = torchSamples.length ? torchSamples.reduce((a, b) => a + b, 0) / torchSamples.length : null
const thermal = thermalInfo([device], timeline.rows, e0.t, e1.t)
// llem's stated 95% interval for the counter's energy, from the power at the two edges
const powerNear = (t) => timeline.rows.filter((r) => r.t <= t && Number.isFinite(r.values[device.columns.power_w])).at(-1)?.values[device.columns.power_w] ?? null
const edges = [powerNear(e0.t), powerNear(e1.t)]
// the window's edges were read in step with the counter (aligned-edge.ts) when it moved in time
const key = `nvml:${device.uuid}`
const aligned = e0.domains[key]?.aligned && e1.domains[key]?.aligned ? [e0.domains[key].aligned, e1.domains[key].aligned] : null
const iv = energyUncertainty({ method: 'counter', energy_j: counterJ, duration_s: seconds, accuracy: NVML_COUNTER_ACCURACY, update_period_ms: device.counter_update_period_ms, resolution_j: NVML_COUNTER.resolution_j, edge_power_w: edges.every((x) => x !== null) ? edges : null, aligned_edges: aligned })
const bound = Math.abs(iv.shift_j) + iv.half_width_j
const inWindow = smiSamples.filter(([t]) => t >= wallStart && t <= wallEnd)
const smiAvg = (k) => (inWindow.length ? inWindow.reduce((a, s) => a + s[k], 0) / inWindow.length : null)
const smiDrawW = smiAvg(1)
const smiInstantW = smiFields.length > 1 ? smiAvg(2) : null
const covered = (w) => (w === null || !Number.isFinite(w) ? 'n/a' : Math.abs(w * seconds - counterJ) <= bound ? 'yes' : 'no')
const pct = (a, b) => (a === null || b === null ? 'n/a' : `${(((a - b) / b) * 100).toFixed(2)}%`)
out()
out(`| quantity | value |`)
out(`|---|---|`)
out(`| card | ${load.device} (torch ${load.torch}) |`)
out(`| measured window | ${seconds.toFixed(2)} s inside a ${(load.end - load.start).toFixed(1)} s matmul load |`)
out(`| counter energy | ${counterJ.toFixed(1)} J = ${(counterJ / seconds).toFixed(1)} W |`)
out(`| integrated instant power | ${integratedJ?.toFixed(1) ?? 'n/a'} J = ${integratedJ === null ? 'n/a' : (integratedJ / seconds).toFixed(1)} W (vs counter ${pct(integratedJ, counterJ)}) |`)
out(`| torch.cuda.power_draw average | ${torchAvgW?.toFixed(1) ?? `n/a (${load.power_error})`} W over ${torchSamples.length} samples (vs counter ${torchAvgW === null ? 'n/a' : pct(torchAvgW, counterJ / seconds)}) |`)
out(`| nvidia-smi power.draw average | ${smiDrawW?.toFixed(1) ?? `n/a (${smiError ?? 'no samples'})`} W over ${inWindow.length} samples (vs counter ${smiDrawW === null ? 'n/a' : pct(smiDrawW, counterJ / seconds)}) |`)
out(`| nvidia-smi power.draw.instant average | ${smiInstantW?.toFixed(1) ?? 'n/a (field not offered by this driver)'} W (vs counter ${smiInstantW === null ? 'n/a' : pct(smiInstantW, counterJ / seconds)}) |`)
out(`| window edges | ${aligned ? `read in step with the counter (gaps ${aligned.map((x) => x.gap_ms.toFixed(1)).join(' / ')} ms, polls ${aligned.map((x) => x.poll_ms.toFixed(2)).join(' / ')} ms)` : 'plain reads (the counter did not move twice in time)'} |`)
out(`| llem's 95% uncertainty of the counter energy | ±${bound.toFixed(1)} J (±${((bound / counterJ) * 100).toFixed(2)}%; terms ${Object.entries(iv.terms).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)} J`).join(', ')}) |`)
out(`| inside that interval | integrated instant ${covered(integratedJ === null ? null : integratedJ / seconds)}, torch ${covered(torchAvgW)}, nvidia-smi power.draw ${covered(smiDrawW)}, power.draw.instant ${covered(smiInstantW)} (all read the same board sensor: agreement checks llem's reading, not the sensor) |`)
out(`| idle baseline | ${baseline.power_w?.toFixed(1) ?? 'n/a'} W (${baseline.method}) |`)
out(`| counter update period | ${device.counter_update_period_ms?.toFixed(1) ?? 'n/a'} ms |`)
out(`| timeline samples | ${timeline.rows.length} at 100 ms |`)
out(`| throttle reasons | ${thermal.devices[0].reasons.map((r) => `${r.reason} ${r.duration_sec.toFixed(1)} s`).join(', ') || 'none'}; max ${thermal.devices[0].max_temperature_c ?? 'n/a'} C |`)
out(`| probe warnings | ${session.warnings().join('; ') || 'none'} |`)
await session.close()
