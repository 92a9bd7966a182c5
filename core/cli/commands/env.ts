/** `llem env`: the machine, software versions, and each probe's availability with the reason. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import pc from 'picocolors'
import { collectMachineInfo } from '../../env/machine.js'
import { loadConfig } from '../../config/load-config.js'
import { normaliseOptions, probesRecord } from '../../config/normalise.js'
import { builtinProbes } from '../../plugins/builtins.js'
import type { CommonFlags } from '../flags.js'
import { VERSION } from '../version.js'

function packageVersion(name: string): string | null {
  try {
    const require = createRequire(import.meta.url)
    const entry = require.resolve(name)
    let dir = path.dirname(entry)
    for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
        if (pkg.name === name) return pkg.version ?? null
      } catch {
        /* keep walking up */
      }
    }
  } catch {
    /* not installed */
  }
  return null
}

export async function envCommand(flags: CommonFlags): Promise<number> {
  const loaded = await loadConfig({ cwd: process.cwd(), configPath: flags.config }).catch(() => null)
  const configured = probesRecord(normaliseOptions((loaded?.config ?? {}) as Record<string, unknown>).probes) as Record<string, unknown>
  const machine = await collectMachineInfo()
  const probes: Record<string, { available: boolean; reason: string; fix?: string[]; devices?: Record<string, unknown>[] }> = {}
  for (const [name, load] of Object.entries(builtinProbes)) {
    const options = configured[name] && typeof configured[name] === 'object' ? configured[name] : {}
    try {
      const probe = await load()
      probes[name] = await probe.available(options)
      if (probes[name].available && probe.inventory) probes[name].devices = await probe.inventory(options)
    } catch (e) {
      probes[name] = { available: false, reason: `probe failed: ${e instanceof Error ? e.message : String(e)}` }
    }
  }
  const software = { llem: VERSION, node: process.version, 'node-llama-cpp': packageVersion('node-llama-cpp'), zod: packageVersion('zod'), tinypool: packageVersion('tinypool') }
  const backends = { 'llama-cpp': software['node-llama-cpp'] ? `node-llama-cpp ${software['node-llama-cpp']} (CPU prebuilt, loaded in worker processes)` : 'node-llama-cpp is not installed' }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ machine, software, probes, backends, config_file: loaded?.file ?? null }, null, 2) + '\n')
    return 0
  }
  const out: string[] = []
  out.push(pc.bold('machine'))
  out.push(`  ${machine.hostname}: ${machine.os.distro ?? machine.os.platform} ${machine.os.release} ${machine.os.arch}${machine.container.detected ? ` (container: ${machine.container.runtime ?? 'unknown'})` : ''}`)
  out.push(`  CPU ${machine.cpu.model ?? 'unknown'}, ${machine.cpu.cores} logical cores${machine.cpu.physical_cores ? ` (${machine.cpu.physical_cores} physical)` : ''}, governor ${machine.cpu.governor ?? 'n/a'}`)
  out.push(`  memory ${(machine.memory.total_mb / 1024).toFixed(1)} GiB (${(machine.memory.available_mb / 1024).toFixed(1)} GiB available)`)
  out.push(pc.bold('software'))
  for (const [k, v] of Object.entries(software)) out.push(`  ${k} ${v ?? pc.dim('not installed')}`)
  out.push(pc.bold('probes'))
  for (const [k, v] of Object.entries(probes)) {
    out.push(`  ${v.available ? pc.green('✓') : pc.red('✗')} ${k}: ${v.reason}`)
    // how to remove the reason (a root-only counter), ready to copy
    if (v.fix?.length) out.push(`      ${pc.bold('fix:')}`, ...v.fix.map((line) => `      ${line}`))
    for (const d of v.devices ?? []) out.push(`      ${Object.entries(d).map(([key, val]) => `${key} ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`).join(', ')}`)
  }
  out.push(pc.bold('backends'))
  for (const [k, v] of Object.entries(backends)) out.push(`  ${k}: ${v}`)
  process.stdout.write(out.join('\n') + '\n')
  return 0
}
