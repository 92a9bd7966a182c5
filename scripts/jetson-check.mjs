// Validation of llem's jetson probe on a real Jetson (see scripts/gpu-check, which runs it where an
// INA3221 is found). Uses the built dist/. Reads every rail for 20 s (the first 10 s idle, then a busy
// CPU loop) through the probe, beside `tegrastats --interval 100`, which reads the same monitors through
// NVIDIA's tool: each rail's mean power both ways, and the module's energy. Prints a Markdown table for
// docs/gpu-validation.md. Agreement checks llem's reading of the rails, not the monitors' accuracy.
import { spawn } from 'node:child_process'
import { jetsonProbe } from '../dist/plugins/probes/jetson/index.js'

const out = (s = '') => process.stdout.write(s + '\n')
const availability = await jetsonProbe.available({})
out(`jetson: ${availability.reason}`)
if (!availability.available) process.exit(1)
out('```'); for (const r of await jetsonProbe.inventory({})) out(JSON.stringify(r)); out('```')

const session = await jetsonProbe.open({})
const tegra = []
const ts = spawn('tegrastats', ['--interval', '100'], { stdio: ['ignore', 'pipe', 'ignore'] })
let tsError = null
ts.on('error', (e) => (tsError = e.message))
ts.stdout.on('data', (d) => {
  for (const line of String(d).split('\n')) {
    const rails = {}
    for (const m of line.matchAll(/\b([A-Z0-9_]+) (\d+)mW\/(\d+)mW/g)) rails[m[1]] = Number(m[2]) / 1000
    if (Object.keys(rails).length) tegra.push(rails)
  }
})
const e0 = Object.fromEntries(session.readEnergy().map((d) => [d.domain, d.energy_j]))
const t0 = performance.now()
let busy = null
const timer = setInterval(() => session.readEnergy(), 10)
await new Promise((r) => setTimeout(r, 10_000))
busy = spawn(process.execPath, ['-e', 'const end = Date.now() + 10000; while (Date.now() < end) {}'], { stdio: 'ignore' })
await new Promise((r) => busy.on('close', r))
clearInterval(timer)
const e1 = Object.fromEntries(session.readEnergy().map((d) => [d.domain, d.energy_j]))
const seconds = (performance.now() - t0) / 1000
ts.kill()
const described = session.describe()
out()
out(`| rail | llem mean power (W) | tegrastats mean (W) | difference |`)
out(`|---|---|---|---|`)
for (const key of Object.keys(e1)) {
  const llemW = (e1[key] - e0[key]) / seconds
  const samples = tegra.map((r) => r[key]).filter((v) => v !== undefined)
  const tsW = samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : null
  out(`| ${key}${key === described.module.domain ? ' (module, the total)' : ''} | ${llemW.toFixed(3)} | ${tsW === null ? `n/a (${tsError ?? 'not in tegrastats output'})` : tsW.toFixed(3)} | ${tsW === null ? 'n/a' : `${(((llemW - tsW) / tsW) * 100).toFixed(2)}%`} |`)
}
out()
out(`window ${seconds.toFixed(1)} s, ${tegra.length} tegrastats lines; module = ${described.module.basis}; warnings: ${session.warnings().join('; ')}`)
await session.close()
