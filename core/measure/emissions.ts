/**
 * Emissions = energy (kWh) x grid carbon intensity (g CO2/kWh). Intensities per country are the
 * Our World in Data figures CodeCarbon 3.3.0 ships; without a country, its world-average fallback.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { packageRoot } from '../package-root.js'

export const WORLD_AVERAGE_G_PER_KWH = 475

let table: Map<string, { name: string; intensity: number; year: string }> | undefined

function intensities() {
  if (table) return table
  table = new Map()
  const file = path.join(packageRoot(), 'core', 'measure', 'carbon-intensity-by-country.csv')
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1)
  for (const line of lines) {
    const m = /^([A-Z]{3}),"?(.*?)"?,([\d.]+),(\d+)$/.exec(line.trim())
    if (m) table.set(m[1], { name: m[2], intensity: Number(m[3]), year: m[4] })
  }
  return table
}

export interface CarbonIntensity {
  g_per_kwh: number
  source: string
}

/** Returns null for an unknown country code so the caller can report it as bad input. */
export function carbonIntensity(opts: { country: string | null; intensity: number | null }): CarbonIntensity | null {
  if (opts.intensity !== null) return { g_per_kwh: opts.intensity, source: 'configured intensity' }
  if (opts.country === null) return { g_per_kwh: WORLD_AVERAGE_G_PER_KWH, source: 'world average (CodeCarbon fallback, 475 g/kWh)' }
  const row = intensities().get(opts.country.toUpperCase())
  if (!row) return null
  return { g_per_kwh: row.intensity, source: `${row.name} (${opts.country.toUpperCase()}), Our World in Data ${row.year} via CodeCarbon 3.3.0` }
}

export function knownCountries(): string[] {
  return [...intensities().keys()]
}

export function emissionsKg(energyJ: number, gPerKwh: number): number {
  return (energyJ / 3.6e6) * gPerKwh / 1000
}
