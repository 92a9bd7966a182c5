/**
 * The probe contract. A probe is a plugin that measures energy and samples power-related readings
 * on some hardware. Built-ins live in plugins/probes; a user probe is the same kind of object.
 */
export type EnergyMethod = 'counter' | 'integrated_power' | 'estimate'
export type Confidence = 'high' | 'medium' | 'low'
export type EnergyDomainKind = 'cpu' | 'dram' | 'gpu' | 'psys' | 'other'

export interface ProbeAvailability {
  available: boolean
  /** one line saying why not (or what was found), shown by `llem env` */
  reason: string
}

export interface EnergyDomainReading {
  /** stable id of the domain, e.g. 'package-0', 'package-0/dram', 'cpu' */
  domain: string
  kind: EnergyDomainKind
  /** joules accumulated since the session was opened, counter wraparound already handled */
  energy_j: number
  /** set when this domain's energy is already inside another domain (RAPL core/uncore inside the
   *  package): reported per device, never added again to the totals */
  contained_in?: string
}

export interface ProbeSession {
  readonly probe: string
  readonly method: EnergyMethod
  readonly confidence: Confidence
  /** cumulative energy per domain since open(); cheap, safe to call every sample interval */
  readEnergy(): EnergyDomainReading[]
  /** instant readings for the timeline, flat numeric columns (e.g. { cpu_util_pct: 53.1 }) */
  sample(): Record<string, number>
  /** hardware description for the environment snapshot */
  describe(): Record<string, unknown>
  /** caveats about this measurement, recorded in the result's warnings */
  warnings(): string[]
  close(): void | Promise<void>
}

export interface Probe<Options = Record<string, unknown>> {
  readonly name: string
  /** strict schema of the probe's options (`probes: { rapl: { root } }`), checked before anything runs */
  readonly options?: import('zod').ZodType<Options>
  available(options: Options): Promise<ProbeAvailability>
  open(options: Options): Promise<ProbeSession>
}
