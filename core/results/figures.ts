/**
 * How the console writes numbers: three significant digits, and one energy unit for a whole table
 * or block, so a reader comparing rows never has to notice that one says J and the next mJ. Core's
 * text Pareto front and the console reporter both write numbers this way.
 */

/** the em dash: no value (not measured, not applicable) */
export const NONE = '—'

/** 3 significant digits, never exponent notation for the magnitudes we show; null is an em dash */
export function formatSig(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return NONE
  if (n === 0) return '0'
  const s = n.toPrecision(3)
  // 999.5 and up round to 1000, which toPrecision(3) writes "1.00e+3"
  if (Math.abs(n) >= 1000 || Math.abs(Number(s)) >= 1000) return String(Math.round(n))
  return s.includes('e') ? n.toExponential(2) : s
}

export interface EnergyUnit {
  /** 'J' or 'mJ' */
  name: string
  /** joules x scale = the figure in this unit */
  scale: number
}

export const JOULES: EnergyUnit = { name: 'J', scale: 1 }
export const MILLIJOULES: EnergyUnit = { name: 'mJ', scale: 1000 }

/**
 * One unit for a set of joule figures, from the largest: mJ when every figure is under 1 J (so
 * 0.002 J and 0.5 J read 2.00 and 500), else J (0.002 J and 1.5 J read 0.00200 and 1.50). J when
 * there is no figure at all, since then nothing is shown in it.
 */
export function energyUnitFor(joules: readonly (number | null | undefined)[]): EnergyUnit {
  const known = joules.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).map(Math.abs)
  if (known.length === 0) return JOULES
  return known.every((v) => v < 1) ? MILLIJOULES : JOULES
}

/** "1.23 ± 0.04" in the unit (no unit text); the figure alone without an uncertainty; a dash without a figure */
export function joulesIn(unit: EnergyUnit, value: number | null | undefined, uncertainty: number | null | undefined = null): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE
  const figure = formatSig(value * unit.scale)
  return uncertainty === null || uncertainty === undefined || !Number.isFinite(uncertainty) ? figure : `${figure} ± ${formatSig(uncertainty * unit.scale)}`
}
