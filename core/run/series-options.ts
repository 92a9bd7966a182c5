/**
 * The load profile options with their defaults. They are left out of the resolved config unless set
 * (defaults.ts), so an ordinary experiment's task hash does not depend on them; read them here.
 */
import type { ResolvedExperimentOptions } from '../config/defaults.js'

export const PROFILE_DEFAULTS = {
  profile: 'fixed' as const,
  /** as GuideLLM's default sweep of 10 benchmarks: the two ends and 8 rates */
  points: 8,
  maxRateFactor: 1,
  search: { over: 'rate' as const, attainment: 0.95, tolerance: '5%' as number | string },
  saturation: { windowSec: 10 },
}

export interface ProfileOptions {
  profile: 'fixed' | 'sweep' | 'slo-search'
  points: number
  maxRateFactor: number
  search: { over: 'rate' | 'concurrency'; attainment: number; tolerance: number | string }
  /** null: on for the open-loop points of a series, off otherwise */
  saturation: { stop: boolean | null; windowSec: number }
}

export function profileOptions(load: ResolvedExperimentOptions['load']): ProfileOptions {
  return {
    profile: load.profile ?? PROFILE_DEFAULTS.profile,
    points: load.points ?? PROFILE_DEFAULTS.points,
    maxRateFactor: load.maxRateFactor ?? PROFILE_DEFAULTS.maxRateFactor,
    search: { ...PROFILE_DEFAULTS.search, ...stripUndefined(load.search ?? {}) },
    saturation: { stop: load.saturation?.stop ?? null, windowSec: load.saturation?.windowSec ?? PROFILE_DEFAULTS.saturation.windowSec },
  }
}

/** seconds the over-saturation check judges over, or null when it is off for this experiment */
export function saturationWindowSec(cfg: ResolvedExperimentOptions): number | null {
  const o = profileOptions(cfg.load)
  const on = o.saturation.stop ?? o.profile !== 'fixed'
  return on ? o.saturation.windowSec : null
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
