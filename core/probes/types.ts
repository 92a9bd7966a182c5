/**
 * The probe contract. A probe is a plugin that measures energy and samples power-related readings
 * on some hardware. Built-ins live in plugins/probes; a user probe is the same kind of object.
 */
export type EnergyMethod = 'counter' | 'integrated_power' | 'estimate'
export type Confidence = 'high' | 'medium' | 'low'
/** 'module': a whole module's energy, its CPU, GPU and memory together (a Jetson's total input rail, a
 *  Grace Hopper superchip's module power): where one is measured it is the total, and CPU or memory
 *  energy from another probe is reported but never added to it. 'node': the whole machine at its power
 *  supplies (a BMC's reading): reported beside the components' sum, never added to it (it contains them) */
export type EnergyDomainKind = 'cpu' | 'dram' | 'gpu' | 'psys' | 'node' | 'module' | 'other'

export interface ProbeAvailability {
  available: boolean
  /** one line saying why not (or what was found), shown by `llem env` */
  reason: string
  /** when unavailable for a reason an administrator can remove (a root-only counter): the lines that
   *  remove it, printed by `llem env` under the reason and in the results' fallback warning */
  fix?: string[]
}

export interface EnergyDomainReading {
  /** stable id of the domain, e.g. 'package-0', 'package-0/dram', 'cpu' */
  domain: string
  kind: EnergyDomainKind
  /** joules accumulated since the session was opened, counter wraparound already handled */
  energy_j: number
  /** set when this domain's energy is already inside another domain (RAPL core/uncore inside the
   *  package): reported per device, never added again to the totals. A domain inside a 'module'
   *  domain (a Jetson's GPU rail inside its total input) still makes its kind's component
   *  (gpu_energy_j), but not the total, which the module already holds */
  contained_in?: string
  /** how this domain's energy is obtained when it differs from the session's (a pre-Volta GPU
   *  integrates instant power while newer ones read the counter) */
  method?: EnergyMethod
}

export interface SensorAccuracy {
  /** 95% bound on a constant per-device offset, watts (0: none) */
  absolute_w: number
  /** 95% bound on a per-device gain error, as a fraction of the reading (0: none) */
  relative: number
  /** where the figure comes from: a vendor statement, or 'assumed: ...' with the work it rests on */
  source: string
}

/**
 * How one energy domain's reading errs, for the error model (core/measure/uncertainty.ts): a counter
 * (its accuracy, unit, update period, and whether the timeline's power column may stand in for the
 * power at its edges), instant power integrated by llem, or an estimate from a model's range. A
 * domain without one gets no interval, and every figure it enters says so.
 */
export type SensorErrorModel =
  | {
      method: 'counter'
      accuracy: SensorAccuracy
      /** the counter's unit, J */
      resolution_j: number
      /** how often it changes (ms), null: not measured */
      update_period_ms: number | null
      /** assumed when update_period_ms is null */
      fallback_period_ms?: number
      /** true: the device's timeline power column gives the power around each edge, and edge reads
       *  aligned with the counter's updates (AlignedEdge) are used when the probe made them */
      edge_power_from_timeline: boolean
    }
  | { method: 'integrated_power'; accuracy: SensorAccuracy }
  | { method: 'estimate'; model: { cores: number; idle_w_per_core: number; max_w_per_core: number } }

/** Timeline columns (keys of sample()) that belong to one accelerator. */
export interface DeviceColumns {
  power_w?: string
  temp_c?: string
  sm_util_pct?: string
  mem_util_pct?: string
  mem_used_mb?: string
  clocks_event_reasons?: string
}

/** One bit of a device's `clocks_event_reasons` column that means it ran slower than it could, named
 *  by the probe that encodes it (core decodes the column only through these). */
export interface ThrottleReason {
  bit: number
  reason: string
}

/** An accelerator a session measures, named as a result must name it. */
export interface ProbeDevice {
  /** the energy domain this device's readings use */
  domain: string
  /** the device as the host numbers it (for NVIDIA GPUs NVML's index, which nvidia-smi shows): the same
   *  GPU has the same index in every experiment, whichever worker measured it */
  index: number
  /** the driver's own index (NVML's: the same as `index` for NVIDIA GPUs; kept for older readers) */
  driver_index: number | null
  /** how the workload numbers it: its position in this process's CUDA_VISIBLE_DEVICES (cuda:<n> inside
   *  the worker); null or absent when the probe has no such notion */
  cuda_index?: number | null
  uuid: string
  name: string
  is_mig: boolean
  mig_profile: string | null
  columns: DeviceColumns
  /** what the bits of `columns.clocks_event_reasons` mean; without it the column is not decoded */
  throttle_reasons?: ThrottleReason[]
  /** how often the energy counter changes, measured when the session opened (null: no counter) */
  counter_update_period_ms: number | null
}

export interface ProbeSession {
  readonly probe: string
  readonly method: EnergyMethod
  readonly confidence: Confidence
  /**
   * cumulative energy per domain since open(); cheap, safe to call every sample interval. A probe may
   * reuse a reading younger than its counter's update period, except with `fresh`: the reads that
   * bound a window (baseline, model load, the measured window) always ask the hardware.
   */
  readEnergy(opts?: { fresh?: boolean }): EnergyDomainReading[]
  /**
   * instant readings for the timeline, flat numeric columns (e.g. { cpu_util_pct: 53.1 }). A probe may
   * read slow-moving columns only every so often, except with `full`: the window's first and last rows
   * carry every column, so the state in force when the window opens is known.
   */
  sample(opts?: { full?: boolean }): Record<string, number>
  /** hardware description for the environment snapshot */
  describe(): Record<string, unknown>
  /** caveats about this measurement, recorded in the result's warnings */
  warnings(): string[]
  /** accelerators measured by this session (GPU probes) */
  devices?(): ProbeDevice[]
  /** why the measured devices are not idle right now (utilisation over `utilisationPct`), or null */
  busy?(utilisationPct: number): string | null
  /** starts watching whether what this probe measures stays idle across a window (the idle baseline);
   *  for hardware whose busyness is a share of time, not a reading (host CPUs from /proc/stat) */
  idleWindow?(): ProbeIdleWindow
  /** other processes using the measured devices right now (they would be billed to the experiment) */
  otherProcesses?(): { device: string; pid: number; used_memory_mb: number | null }[] | null
  /** for a probe read in the background (a BMC over the network): why its readings do not cover
   *  [t0, t1] (performance clock, ms), e.g. the BMC stopped answering for longer than it may be
   *  bridged, or null when they do; energy over a span it cannot cover is not reported */
  coverage?(t0: number, t1: number): string | null
  /** the error model of one of the domains readEnergy() returns (`device`: the one on that domain,
   *  if any); absent or null: none is known, and no interval is stated for that domain */
  errorModel?(reading: EnergyDomainReading, device: ProbeDevice | undefined): SensorErrorModel | null
  close(): void | Promise<void>
}

export interface ProbeIdleWindow {
  /** ends the window: `busy` says why it was not idle (busier than `utilisationPct` percent, or it
   *  could not be told), null when it was; `note` gives what was seen either way */
  end(utilisationPct: number): { busy: string | null; note: string }
}

export interface Probe<Options = Record<string, unknown>> {
  readonly name: string
  /** strict schema of the probe's options (`probes: { rapl: { root } }`), checked before anything runs */
  readonly options?: import('zod').ZodType<Options>
  available(options: Options): Promise<ProbeAvailability>
  open(options: Options): Promise<ProbeSession>
  /** a table of what the probe sees, for `llem env` (GPUs with their UUIDs, limits, MIG mode...) */
  inventory?(options: Options): Promise<Record<string, unknown>[]>
  /** false when the probe cannot be opened a second time in a worker thread (it holds a process-wide
   *  resource, or its native library is not thread-safe): the measured window is then sampled on the
   *  event loop, where a busy client delays samples. Default: sampled on its own thread */
  readonly sampleInThread?: boolean
  /** the GPUs this probe sees, typed, for scheduling: which GPUs a run may use and how a worker is
   *  pinned to them. Throws when the probe is unavailable (call available() first) */
  accelerators?(options: Options): Promise<Accelerator[]>
  /** current temperature (°C) of each of `uuids` this probe can read, by UUID; others are left out */
  temperatures?(options: Options, uuids: string[]): Promise<Map<string, number>>
}

/** A GPU as the scheduler sees it (core/run/slots.ts). */
export interface Accelerator {
  uuid: string
  /** the vendor library's index (NVML's, AMD SMI's) */
  index: number
  name: string
  /** whose visible-devices variables pin a worker to it: CUDA_VISIBLE_DEVICES, or ROCR/HIP_VISIBLE_DEVICES */
  vendor: 'nvidia' | 'amd'
  /** what that variable names this GPU by (NVIDIA: the UUID; AMD: ROCr's "GPU-<serial>" id, else the index) */
  visible_id: string
}
