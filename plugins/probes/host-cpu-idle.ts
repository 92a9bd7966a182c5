/**
 * Whether the host's CPUs stayed idle across a window (the idle baseline), from /proc/stat: the
 * share of CPU time spent busy between the window's two reads, over every CPU of the host. RAPL
 * packages and DRAM, and the CPU estimate, cover the whole host, so any process's work (another
 * user's job, a compile, a sibling task) raises what they read; a baseline taken then would
 * subtract that work from the experiment. The window's reads bracket the baseline itself, so what
 * is judged is exactly the time the idle power was measured over.
 */
import { readFileSync } from 'node:fs'
import type { ProbeIdleWindow } from 'llem/plugin/runtime'
import { parseProcStat, type CpuTimes } from './proc-stat.js'

export function hostCpuIdleWindow(procStat: string): ProbeIdleWindow {
  const read = (): CpuTimes | string => {
    try {
      return parseProcStat(readFileSync(procStat, 'utf8'))
    } catch (e) {
      return `${procStat}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`
    }
  }
  const first = read()
  return {
    end(utilisationPct) {
      const last = read()
      if (typeof first === 'string' || typeof last === 'string') {
        const why = typeof first === 'string' ? first : String(last)
        // unknown is not idle: a baseline nobody can vouch for is not taken
        return { busy: `cannot tell whether the host CPUs were idle (${why})`, note: `host CPU idleness unknown (${why})` }
      }
      const busy = last.busy - first.busy
      const total = busy + (last.idle - first.idle)
      // no busy time at all is idle, even when no tick was counted (a window under one jiffy)
      const pct = busy <= 0 ? 0 : total > 0 ? (100 * busy) / total : 100
      const share = `${pct.toFixed(1)}% busy across it (${procStat}, all CPUs)`
      if (pct > utilisationPct) return { busy: `the host CPUs were ${share}; idle means under ${utilisationPct}%`, note: `host CPUs ${share}` }
      return { busy: null, note: `host CPUs ${share}` }
    },
  }
}
