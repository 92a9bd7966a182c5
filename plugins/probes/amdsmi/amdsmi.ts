/**
 * A checked, synchronous AMD SMI API over the raw bindings (ROCm 6.2.2's amdsmi.h).
 *
 * Required calls (sockets, processors, UUID, the energy counter) throw AmdSmiError on any non-zero
 * status. Optional ones return null when the library lacks the symbol, the call says NOT_SUPPORTED /
 * NOT_YET_IMPLEMENTED / NO_PERM, or the value is the all-ones word AMD SMI leaves in a field the
 * firmware's metrics table does not have; anything else throws, so a GPU that went away is never
 * mistaken for a missing feature.
 *
 * Units are those of the 6.2.2 implementation, which in places differ from its header's comments:
 * amdsmi_get_temp_metric returns whole degrees Celsius (the header says millidegrees; the
 * implementation divides by 1000), socket powers are whole watts, memory is bytes, clocks MHz.
 */
import { ProbeError } from 'llem/plugin/runtime'
import { AMDSMI_LAYOUT, loadAmdSmiBindings, type AmdSmiBindings } from './bindings.js'

export { AmdSmiLoadError } from './bindings.js'

/** amdsmi_status_t values used here (amdsmi.h) */
export const AMDSMI_STATUS = {
  SUCCESS: 0,
  INVAL: 1,
  NOT_SUPPORTED: 2,
  NOT_YET_IMPLEMENTED: 3,
  FAIL_LOAD_MODULE: 4,
  NO_PERM: 10,
  INIT_ERROR: 18,
  NOT_FOUND: 31,
  NOT_INIT: 32,
  DRIVER_NOT_LOADED: 34,
  NO_DATA: 40,
  INSUFFICIENT_SIZE: 41,
  UNKNOWN_ERROR: 0xffffffff,
} as const

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AMDSMI_STATUS).map(([k, v]) => [v, k]))

export function amdSmiCodeName(code: number): string {
  return CODE_NAMES[code] ?? `AMDSMI_STATUS_${code}`
}

/** amdsmi_init_flags_t AMDSMI_INIT_AMD_GPUS */
export const AMDSMI_INIT_AMD_GPUS = 1 << 1

const SOFT = new Set<number>([AMDSMI_STATUS.NOT_SUPPORTED, AMDSMI_STATUS.NOT_YET_IMPLEMENTED, AMDSMI_STATUS.NO_PERM])

export class AmdSmiError extends ProbeError {
  readonly code: number
  readonly codeName: string
  readonly fn: string
  constructor(fn: string, code: number, description?: string | null) {
    const codeName = amdSmiCodeName(code)
    super('amdsmi', `${fn} failed: ${codeName} (${code})${description ? `: ${description}` : ''}`)
    this.name = 'AmdSmiError'
    this.code = code
    this.codeName = codeName
    this.fn = fn
  }
}

/** An opaque processor or socket handle: only pass it back to the AmdSmi that gave it. */
export type AmdSmiHandle = unknown

export type AmdSmiClock = 'gfx' | 'mem'
const CLOCK_TYPE: Record<AmdSmiClock, number> = { gfx: 0, mem: 4 } // AMDSMI_CLK_TYPE_GFX, AMDSMI_CLK_TYPE_MEM
export type AmdSmiTemperature = 'edge' | 'hotspot' | 'vram'
const TEMP_TYPE: Record<AmdSmiTemperature, number> = { edge: 0, hotspot: 1, vram: 2 }

export interface EnergyCount {
  /** the raw accumulator, in ticks of `resolutionUj` */
  ticks: bigint
  /** microjoules per tick, as the library reports it */
  resolutionUj: number
  /** when the firmware last updated the counter, ns (the driver's clock) */
  timestampNs: bigint
}

const ALL_ONES_16 = 0xffff
const ALL_ONES_32 = 0xffffffff
const ALL_ONES_64 = 0xffff_ffff_ffff_ffffn

function cString(buf: Buffer): string {
  const end = buf.indexOf(0)
  return buf.toString('utf8', 0, end < 0 ? buf.length : end)
}

export class AmdSmi {
  readonly bindings: AmdSmiBindings
  private open_ = true
  private readonly u32 = new Uint32Array(1)
  private readonly u64a = new BigUint64Array(1)
  private readonly u64b = new BigUint64Array(1)
  private readonly i64 = new BigInt64Array(1)
  private readonly f32 = new Float32Array(1)
  /** at least AMDSMI_GPU_UUID_SIZE (38), or the call refuses it */
  private readonly uuidBuf = Buffer.alloc(64)
  private readonly power = Buffer.alloc(AMDSMI_LAYOUT.powerInfo.size)
  private readonly engine = Buffer.alloc(AMDSMI_LAYOUT.engineUsage.size)
  private readonly clk = Buffer.alloc(AMDSMI_LAYOUT.clkInfo.size)
  private readonly asic = Buffer.alloc(AMDSMI_LAYOUT.asicInfo.size)
  private readonly metrics = Buffer.alloc(AMDSMI_LAYOUT.gpuMetrics.size)

  private constructor(bindings: AmdSmiBindings) {
    this.bindings = bindings
  }

  /** Load the library and call amdsmi_init(AMDSMI_INIT_AMD_GPUS). Throws AmdSmiLoadError / AmdSmiError. */
  static open(library?: string): AmdSmi {
    const b = loadAmdSmiBindings(library)
    const rc = b.amdsmi_init(AMDSMI_INIT_AMD_GPUS)
    if (rc !== AMDSMI_STATUS.SUCCESS) throw new AmdSmiError('amdsmi_init', rc, describe(b, rc))
    return new AmdSmi(b)
  }

  /** amdsmi_shut_down; idempotent */
  shutdown(): void {
    if (!this.open_) return
    this.open_ = false
    this.bindings.amdsmi_shut_down()
  }

  private fail(fn: string, rc: number): never {
    throw new AmdSmiError(fn, rc, describe(this.bindings, rc))
  }

  private check(fn: string, rc: number): void {
    if (rc !== AMDSMI_STATUS.SUCCESS) this.fail(fn, rc)
  }

  private ok(fn: string, rc: number): boolean {
    if (rc === AMDSMI_STATUS.SUCCESS) return true
    if (SOFT.has(rc)) return false
    this.fail(fn, rc)
  }

  // ---------------------------------------------------------------- required

  /** every socket's GPU processors, in the library's order (sockets in order, processors within each) */
  processors(): { socket: number; handle: AmdSmiHandle }[] {
    const count = new Uint32Array(1)
    this.check('amdsmi_get_socket_handles', this.bindings.amdsmi_get_socket_handles(count, null))
    const sockets = new BigUint64Array(count[0])
    if (count[0] > 0) this.check('amdsmi_get_socket_handles', this.bindings.amdsmi_get_socket_handles(count, sockets))
    const out: { socket: number; handle: AmdSmiHandle }[] = []
    for (let s = 0; s < count[0]; s++) {
      const n = new Uint32Array(1)
      this.check('amdsmi_get_processor_handles', this.bindings.amdsmi_get_processor_handles(sockets[s], n, null))
      const handles = new BigUint64Array(n[0])
      if (n[0] > 0) this.check('amdsmi_get_processor_handles', this.bindings.amdsmi_get_processor_handles(sockets[s], n, handles))
      for (let i = 0; i < n[0]; i++) out.push({ socket: s, handle: handles[i] })
    }
    return out
  }

  uuid(h: AmdSmiHandle): string {
    const buf = this.uuidBuf.fill(0)
    this.u32[0] = buf.length
    this.check('amdsmi_get_gpu_device_uuid', this.bindings.amdsmi_get_gpu_device_uuid(h, this.u32, buf))
    return cString(buf)
  }

  /** The energy accumulator: the hot path, one FFI call, no allocation but the returned object. */
  energyCount(h: AmdSmiHandle): EnergyCount {
    const rc = this.bindings.amdsmi_get_energy_count(h, this.u64a, this.f32, this.u64b)
    if (rc !== 0) this.fail('amdsmi_get_energy_count', rc)
    return { ticks: this.u64a[0], resolutionUj: this.f32[0], timestampNs: this.u64b[0] }
  }

  // ---------------------------------------------------------------- optional

  /** "DDDD:BB:DD.F", as lspci and the kernel write it */
  bdf(h: AmdSmiHandle): string | null {
    const f = this.bindings.amdsmi_get_gpu_device_bdf
    if (!f || !this.ok('amdsmi_get_gpu_device_bdf', f(h, this.u64a))) return null
    const v = this.u64a[0]
    const hex = (x: bigint, w: number) => x.toString(16).padStart(w, '0')
    return `${hex(v >> 16n, 4)}:${hex((v >> 8n) & 0xffn, 2)}:${hex((v >> 3n) & 0x1fn, 2)}.${(v & 7n).toString()}`
  }

  /** market name, PCI device id, and the ASIC serial (the KFD unique_id in hex, what ROCr's GPU UUID is made of) */
  asicInfo(h: AmdSmiHandle): { marketName: string; deviceId: number; serial: string } | null {
    const f = this.bindings.amdsmi_get_gpu_asic_info
    const L = AMDSMI_LAYOUT.asicInfo
    const buf = this.asic.fill(0)
    if (!f || !this.ok('amdsmi_get_gpu_asic_info', f(h, buf))) return null
    return {
      marketName: cString(buf.subarray(L.market_name, L.market_name + 256)),
      deviceId: Number(buf.readBigUInt64LE(L.device_id)),
      serial: cString(buf.subarray(L.asic_serial, L.asic_serial + 32)),
    }
  }

  /** socket power in whole watts: `current` (instant, metrics 1.4+) and `average`; null where absent */
  powerInfo(h: AmdSmiHandle): { currentW: number | null; averageW: number | null } | null {
    const f = this.bindings.amdsmi_get_power_info
    const L = AMDSMI_LAYOUT.powerInfo
    const buf = this.power.fill(0)
    if (!f || !this.ok('amdsmi_get_power_info', f(h, buf))) return null
    const w = (at: number) => {
      const v = buf.readUInt32LE(at)
      return v === ALL_ONES_16 || v === ALL_ONES_32 ? null : v
    }
    return { currentW: w(L.current_socket_power), averageW: w(L.average_socket_power) }
  }

  temperatureC(h: AmdSmiHandle, sensor: AmdSmiTemperature = 'edge'): number | null {
    const f = this.bindings.amdsmi_get_temp_metric
    if (!f || !this.ok('amdsmi_get_temp_metric', f(h, TEMP_TYPE[sensor], 0 /* AMDSMI_TEMP_CURRENT */, this.i64))) return null
    return Number(this.i64[0])
  }

  /** percent busy: graphics engine, memory controller, multimedia */
  activity(h: AmdSmiHandle): { gfx: number; umc: number; mm: number } | null {
    const f = this.bindings.amdsmi_get_gpu_activity
    const L = AMDSMI_LAYOUT.engineUsage
    const buf = this.engine.fill(0)
    if (!f || !this.ok('amdsmi_get_gpu_activity', f(h, buf))) return null
    const pct = (at: number) => {
      const v = buf.readUInt32LE(at)
      return v === ALL_ONES_16 || v === ALL_ONES_32 ? Number.NaN : v
    }
    return { gfx: pct(L.gfx_activity), umc: pct(L.umc_activity), mm: pct(L.mm_activity) }
  }

  /** VRAM bytes (AMDSMI_MEM_TYPE_VRAM) */
  memory(h: AmdSmiHandle): { total: number | null; used: number | null } {
    const t = this.bindings.amdsmi_get_gpu_memory_total
    const u = this.bindings.amdsmi_get_gpu_memory_usage
    const total = t && this.ok('amdsmi_get_gpu_memory_total', t(h, 0, this.u64a)) ? Number(this.u64a[0]) : null
    const used = u && this.ok('amdsmi_get_gpu_memory_usage', u(h, 0, this.u64b)) ? Number(this.u64b[0]) : null
    return { total, used }
  }

  clockMhz(h: AmdSmiHandle, clock: AmdSmiClock): number | null {
    const f = this.bindings.amdsmi_get_clock_info
    const buf = this.clk.fill(0)
    if (!f || !this.ok('amdsmi_get_clock_info', f(h, CLOCK_TYPE[clock], buf))) return null
    const v = buf.readUInt32LE(AMDSMI_LAYOUT.clkInfo.clk)
    return v === ALL_ONES_16 || v === ALL_ONES_32 ? null : v
  }

  /** gpu_metrics' ASIC-independent throttle bits (metrics 1.3+), null where the table lacks them */
  throttleStatus(h: AmdSmiHandle): bigint | null {
    const f = this.bindings.amdsmi_get_gpu_metrics_info
    const buf = this.metrics
    if (!f || !this.ok('amdsmi_get_gpu_metrics_info', f(h, buf))) return null
    const v = buf.readBigUInt64LE(AMDSMI_LAYOUT.gpuMetrics.indep_throttle_status)
    return v === ALL_ONES_64 ? null : v
  }
}

function describe(b: AmdSmiBindings, rc: number): string | null {
  const f = b.amdsmi_status_code_to_string
  if (!f) return null
  const out: [string | null] = [null]
  return f(rc, out) === 0 ? out[0] : null
}
