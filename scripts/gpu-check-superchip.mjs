// Validation of llem's Grace Hopper module energy on a real GH200 (run by scripts/gpu-check when the
// GPU's name is a superchip's). Uses the built dist/. For 30 s (10 s idle, then gpu-load.py's matmul
// load), the nvml probe's module energy (module-scope instant power, integrated) beside the GPU's own
// energy counter and nvidia-smi's module power readings where this nvidia-smi offers them. The module
// minus the GPU is the Grace CPU and memory; it must be positive and plausible (tens to a few hundred
// W). Prints a Markdown table for docs/gpu-validation.md.
import { execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { nvmlProbe } from '../dist/plugins/probes/nvml/index.js'
import { energyBetween, snapshotEnergy } from '../dist/core/measure/probe-set.js'

const out = (s = '') => process.stdout.write(s + '\n')
process.env.CUDA_VISIBLE_DEVICES ??= '0'
const session = await nvmlProbe.open({})
const gpu = session.describe().gpus[0]
out(`${gpu.name} ${gpu.uuid}: module_power_scope ${gpu.module_power_scope}`)
if (!gpu.module_power_scope) process.exit(1)
const help = (() => { try { return execFileSync('nvidia-smi', ['--help-query-gpu'], { encoding: 'utf8' }) } catch { return '' } })()
const fields = ['module.power.draw.instant', 'module.power.draw.average'].filter((f) => help.includes(f))
const smi = []
const proc = fields.length ? spawn('nvidia-smi', [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits', '-lms', '100', '-i', gpu.uuid], { stdio: ['ignore', 'pipe', 'ignore'] }) : null
proc?.stdout.on('data', (d) => { for (const l of String(d).trim().split('\n')) smi.push(l.split(',').map((x) => Number(x.trim()))) })
const a = snapshotEnergy([session], performance.now(), { fresh: true })
const timer = setInterval(() => snapshotEnergy([session], performance.now()), 20)
await new Promise((r) => setTimeout(r, 10_000))
const load = spawn(process.env.PYTHON ?? 'python3', [path.join(path.dirname(new URL(import.meta.url).pathname), 'gpu-load.py'), '20'], { stdio: ['ignore', 'ignore', 'inherit'] })
await new Promise((r) => load.on('close', r))
clearInterval(timer)
const b = snapshotEnergy([session], performance.now(), { fresh: true })
proc?.kill()
const s = (b.t - a.t) / 1000
const d = energyBetween(a, b)
const moduleJ = d.perDomain[`nvml:${gpu.uuid}/module`]
const gpuJ = d.perDomain[`nvml:${gpu.uuid}`]
out()
out(`| quantity | value |`)
out(`|---|---|`)
out(`| window | ${s.toFixed(1)} s (10 s idle, then a matmul load) |`)
out(`| module energy (total) | ${moduleJ.toFixed(1)} J = ${(moduleJ / s).toFixed(1)} W |`)
out(`| GPU counter energy | ${gpuJ.toFixed(1)} J = ${(gpuJ / s).toFixed(1)} W |`)
out(`| module - GPU (Grace CPU + memory) | ${((moduleJ - gpuJ) / s).toFixed(1)} W |`)
for (const [i, f] of fields.entries()) out(`| nvidia-smi ${f} mean | ${(smi.reduce((acc, r) => acc + r[i], 0) / Math.max(1, smi.length)).toFixed(1)} W over ${smi.length} samples |`)
if (!fields.length) out(`| nvidia-smi module power | n/a (this nvidia-smi offers no module.power.draw field) |`)
out(`| llem total_energy_j rule | ${d.total === moduleJ ? 'the module' : `NOT the module (${d.total})`} |`)
await session.close()
