/**
 * docs/validation.md: llem's AMD SMI wrapper against AMD's amdsmi Python package on the same fake
 * library (test/fixtures/peers/amdsmi-bindings.ts), and the three statements of the ABI held to each
 * other (test/fixtures/peers/amdsmi-declared.ts).
 */
import { AMDSMI_TRUTH, compareAmdSmiBindings, counterJoules, ENERGY_TOLERANCE_J, PACKAGE_COUNTER } from '../../test/fixtures/peers/amdsmi-bindings.js'
import { compareAmdSmiDeclarations } from '../../test/fixtures/peers/amdsmi-declared.js'
import { pythonEnv } from '../../test/fixtures/python-envs.js'
import { table, yes, type ValidationSection } from './section.js'

/** what each compared quantity is on both sides: llem's AmdSmi getter and the amdsmi call behind both */
const CALLS: Record<string, string> = {
  processor_count: '`processors()` / amdsmi_get_processor_handles (all sockets)',
  socket: '`processors()` / amdsmi_get_socket_handles, then its processors',
  uuid: '`uuid()` / amdsmi_get_gpu_device_uuid',
  bdf: '`bdf()` / amdsmi_get_gpu_device_bdf',
  asic: '`asicInfo()` / amdsmi_get_gpu_asic_info (market name, device id, serial)',
  energy: '`energyCount()` / amdsmi_get_energy_count (ticks, resolution, timestamp)',
  power: '`powerInfo()` / amdsmi_get_power_info (current, average socket W)',
  temperature_edge: '`temperatureC(edge)` / amdsmi_get_temp_metric',
  temperature_hotspot: '`temperatureC(hotspot)` / amdsmi_get_temp_metric',
  temperature_vram: '`temperatureC(vram)` / amdsmi_get_temp_metric',
  activity: '`activity()` / amdsmi_get_gpu_activity',
  memory_total: '`memory().total` / amdsmi_get_gpu_memory_total (VRAM)',
  memory_used: '`memory().used` / amdsmi_get_gpu_memory_usage (VRAM)',
  clock_gfx: '`clockMhz(gfx)` / amdsmi_get_clock_info',
  clock_mem: '`clockMhz(mem)` / amdsmi_get_clock_info',
  indep_throttle_status: '`throttleStatus()` / amdsmi_get_gpu_metrics_info (indep_throttle_status)',
}

const short = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)
const joules = (v: number | null) => (v === null ? 'none' : `${v.toFixed(6)} J`)

export const amdsmiBindingsSection: ValidationSection = {
  id: 'amdsmi-bindings',
  title: "AMD SMI: llem's probe against AMD's own bindings (amdsmi)",
  async run() {
    const python = pythonEnv('peers')
    const c = compareAmdSmiBindings(python)
    const d = compareAmdSmiDeclarations(python)
    const quantities = [...new Set(c.rows.map((r) => r.quantity))]
    const perQuantity = quantities.map((q) => {
      const rs = c.rows.filter((r) => r.quantity === q)
      const sample = rs.find((r) => r.processor <= 0) ?? rs[0]
      return [q, CALLS[q] ?? '', rs.length, yes(rs.every((r) => r.agree)), short(sample.llem), short(sample.amd)]
    })
    const truth = [
      ['processor 0: 500 W for 1 s', `${AMDSMI_TRUTH.processor0EnergyJ} J`, joules(counterJoules(c.llem[0])), joules(counterJoules(c.amd[0]))],
      ['processor 1: 400 W x 0.25 s + 100 W x 0.75 s', `${AMDSMI_TRUTH.processor1EnergyJ} J`, joules(counterJoules(c.llem[1])), joules(counterJoules(c.amd[1]))],
      [
        'MI250X package: (300 + 250) W for 1 s, one 32-bit counter past its wrap',
        `${AMDSMI_TRUTH.packageEnergyJ} J`,
        joules(counterJoules(c.llem[2], PACKAGE_COUNTER.start, PACKAGE_COUNTER.bits)),
        joules(counterJoules(c.amd[2], PACKAGE_COUNTER.start, PACKAGE_COUNTER.bits)),
      ],
    ]
    const truthOk = [
      [counterJoules(c.llem[0]), counterJoules(c.amd[0]), AMDSMI_TRUTH.processor0EnergyJ],
      [counterJoules(c.llem[1]), counterJoules(c.amd[1]), AMDSMI_TRUTH.processor1EnergyJ],
      [counterJoules(c.llem[2], PACKAGE_COUNTER.start, PACKAGE_COUNTER.bits), counterJoules(c.amd[2], PACKAGE_COUNTER.start, PACKAGE_COUNTER.bits), AMDSMI_TRUTH.packageEnergyJ],
    ].every(([a, b, t]) => a !== null && b !== null && Math.abs(a - t!) <= ENERGY_TOLERANCE_J && Math.abs(b - t!) <= ENERGY_TOLERANCE_J)
    // an argument as the calling convention sees it, in a few characters: u32, *448 (points to 448 bytes), handle
    const arg = (s: string) => s.replace(/^pointer \(opaque handle\)$/, 'handle').replace(/^pointer to (\d+) bytes$/, '*$1').replace(/^(integer|float) (\d+) bytes$/, (_, k: string, n: string) => `${k === 'float' ? 'f' : 'int'}${Number(n) * 8}`)
    const kindOf = (r: { kind: string; what: string }) => (r.kind === 'member' ? 'struct' : r.kind === 'constant' ? 'constants' : r.kind)
    const groups = [...new Set(d.rows.map((r) => `${kindOf(r)}\0${r.kind === 'constant' ? 'status codes, AMDSMI_INIT_AMD_GPUS' : r.what}`))].map((k) => {
      const [kind, what] = k.split('\0')
      const rs = d.rows.filter((r) => kindOf(r) === kind && (kind === 'constants' || r.what === what))
      const size = rs.find((r) => r.item === 'sizeof')
      const shape =
        kind === 'function'
          ? `${arg(rs[0].amd)} (${rs.slice(1).map((r) => arg(r.amd)).join(', ')})`
          : kind === 'constants'
            ? rs.map((r) => `${r.what.replace(/^AMDSMI_(STATUS_)?/, '')}=${r.amd}`).join(' ')
            : kind === 'bdf bits'
              ? rs.map((r) => `${r.item} ${r.amd}`).join(', ')
              : size
                ? `${size.llem} / ${size.amd} / ${size.fake}`
                : ''
      return [kind, what, shape, rs.length, yes(rs.every((r) => r.agree))]
    })
    const bad = [...c.rows.filter((r) => !r.agree).map((r) => `processor ${r.processor} ${r.quantity} (llem ${r.llem}, AMD ${r.amd})`), ...d.rows.filter((r) => !r.agree).map((r) => `${r.what} ${r.item} (llem ${r.llem}, AMD ${r.amd}, fake ${r.fake})`)]
    const agree = bad.length === 0 && c.libraries.amdsmi === c.libraries.llem && truthOk
    const markdown = `
llem reads AMD GPUs through its own koffi bindings to AMD SMI (\`plugins/probes/amdsmi/\`), declared
from the \`amdsmi.h\` of ROCm 6.2.2. AMD's Python package for the same library, amdsmi ${c.amdsmiVersion}
(the 6.2.2 release, whose version follows ROCm's; on PyPI it is published by the ml-energy project as
an "unofficial distribution of the official Python wrapper", as its description says), is pure ctypes:
its \`amdsmi_wrapper.py\`, generated from \`amdsmi.h\` by clang2py, is AMD's statement of the ABI. It loads
\`$ROCM_PATH/lib/libamd_smi.so\` and looks up all 157 functions it declares when it is imported, so
the fake library of the tests (\`test/fixtures/fake-amdsmi/\`) exports the 141 it does not simulate as
functions that answer \`AMDSMI_STATUS_NOT_SUPPORTED\` (\`not-supported.c\`); with them, the package
loads the fake and reads it like a real one. Both read it under one script: llem opens it by path in
the test process, the package through \`ROCM_PATH\` in a child process (the file it mapped, read from
\`/proc/self/maps\`, is the one llem opened: ${yes(c.libraries.amdsmi === c.libraries.llem)}).

Five processors: an MI300X drawing 500 W throughout, an MI300X drawing 400 W for 0.25 s and its
100 W idle after (its BDF, 0001:83:1f.7, sets every bitfield), the two dies of an MI250X whose
firmware reports one package counter 32 bits wide (started 967,296 ticks before it wraps), with
metrics table 1.3 (no current socket power) and throttle bits set, and an MI300X gone from the bus
(every call \`AMDSMI_STATUS_NOT_FOUND\`). The counters update once a second; both sides read 1.3 s
after their init. Each value llem's probe reports comes from one of the getters below; a failed call
is compared by status name, and llem's "not available" (null) stands for the package's "N/A", for
the all-ones word AMD SMI leaves in a field the firmware's table lacks, and for
NOT_SUPPORTED, NOT_YET_IMPLEMENTED or NO_PERM. Tolerance: none, every value must be equal. Run in
\`test/amdsmi-bindings-agree.test.ts\`.

${table(['quantity', "llem's getter / AMD SMI call", 'readings compared', 'all equal', 'llem (processor 0)', 'amdsmi'], perQuantity)}

${c.rows.length} readings over 5 processors; ${c.rows.filter((r) => !r.agree).length} differ.

**Physical truth.** The script's trace sets the energy each counter holds at its 1 s update: ticks
(since the counter's start, modulo its width) times the resolution the library reports (15.3 uJ),
within ${(ENERGY_TOLERANCE_J * 1e6).toFixed(1)} uJ.

${table(['trace', 'truth', 'llem', 'amdsmi'], truth)}

**The declarations.** Beyond the values, the three statements of the ABI are held to each other: llem's
koffi declarations, the package's ctypes declarations, and the fake's C, whose layouts a small C
program that includes it prints with \`offsetof\` and \`sizeof\`. Each struct llem passes is compared
member by member (name, order, offset, size; clang2py's \`PADDING_n\` members spell out gaps C leaves
implicit), each function llem binds argument by argument as the calling convention sees it
(integer, float or pointer; its size; how many bytes a pointer's target holds), and the status
codes and init flag llem names, and the bits of \`amdsmi_bdf_t\`, which llem reads as one 64-bit word.
C cannot list a function's parameters, so the fake's prototypes are checked by the calls above.
A struct's sizes are llem / amdsmi / fake; a function's shape is amdsmi's (\`*448\`: a pointer to 448
bytes, \`handle\`: an opaque pointer), which llem's equals wherever "all equal" says yes.
Run in \`test/amdsmi-declared-layouts.test.ts\`.

${table(['kind', 'name', 'size or shape', 'items compared', 'all equal'], groups)}

${bad.length ? `Disagreements: ${bad.join('; ')}.` : 'Every reading and every declaration agrees.'}
`
    return { markdown, agree }
  },
}
