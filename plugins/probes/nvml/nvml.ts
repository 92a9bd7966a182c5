/**
 * A checked, synchronous NVML API over the raw bindings.
 *
 * Required functions (count, handles, name, UUID, the energy counter) throw NvmlError on any
 * non-zero return. Optional ones return null when this driver lacks the symbol or the call says
 * NOT_SUPPORTED / FUNCTION_NOT_FOUND / NO_PERMISSION, and throw NvmlError for anything else:
 * GPU_IS_LOST in particular always throws, so a probe cannot mistake a dead GPU for a missing
 * feature.
 *
 * Out-parameters go through scratch typed arrays and Buffers allocated once per instance; every
 * call is synchronous, so sharing them is safe. Do not use one Nvml from two threads (koffi crashes
 * when the main thread and a worker thread load the same library anyway: keep NVML in one process
 * and one thread).
 */
import { ProbeError } from 'llem/plugin/runtime'
import { loadNvmlBindings, NVML_LAYOUT, type NvmlBindings, type NvmlOptionalName } from './bindings.js'
import { decodeProcesses, MAX_PROCESS_INFO_SIZE, processInfoLayout, type ProcessInfoLayout } from './processes.js'

export { NvmlLoadError, DEFAULT_NVML_LIBRARY } from './bindings.js'

export const NVML_RETURN = {
  SUCCESS: 0,
  UNINITIALIZED: 1,
  INVALID_ARGUMENT: 2,
  NOT_SUPPORTED: 3,
  NO_PERMISSION: 4,
  NOT_FOUND: 6,
  INSUFFICIENT_SIZE: 7,
  DRIVER_NOT_LOADED: 9,
  LIBRARY_NOT_FOUND: 12,
  FUNCTION_NOT_FOUND: 13,
  GPU_IS_LOST: 15,
  UNKNOWN: 999,
} as const

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(NVML_RETURN).map(([k, v]) => [v, k]))

/** NVML field ids used here (nvml.h NVML_FI_*) */
export const NVML_FIELD = { POWER_AVERAGE: 185, POWER_INSTANT: 186 } as const

/** nvmlPowerScopeType_t (nvml.h NVML_POWER_SCOPE_*): the scopeId of the power fields. MODULE is the
 *  whole module, on a Grace Hopper superchip the Grace CPU, the GPU and memory together */
export const NVML_POWER_SCOPE = { GPU: 0, MODULE: 1, MEMORY: 2 } as const

/** nvmlDeviceArchitecture_t values */
export const NVML_ARCH = { KEPLER: 2, MAXWELL: 3, PASCAL: 4, VOLTA: 5, TURING: 6, AMPERE: 7, ADA: 8, HOPPER: 9, BLACKWELL: 10 } as const

/** nvmlClocksEventReasons bits (nvml.h; docs/references.md) */
export const NVML_CLOCKS_EVENT = {
  GPU_IDLE: 0x1,
  APPLICATIONS_CLOCKS_SETTING: 0x2,
  SW_POWER_CAP: 0x4,
  HW_SLOWDOWN: 0x8,
  SYNC_BOOST: 0x10,
  SW_THERMAL_SLOWDOWN: 0x20,
  HW_THERMAL_SLOWDOWN: 0x40,
  HW_POWER_BRAKE_SLOWDOWN: 0x80,
  DISPLAY_CLOCK_SETTING: 0x100,
} as const

/** what optional getters treat as "not available here" rather than an error */
const SOFT = new Set<number>([NVML_RETURN.NOT_SUPPORTED, NVML_RETURN.FUNCTION_NOT_FOUND, NVML_RETURN.NO_PERMISSION])

// buffer sizes from nvml.h
const NAME_BUFFER = 96 // NVML_DEVICE_NAME_V2_BUFFER_SIZE
const UUID_BUFFER = 80 // NVML_DEVICE_UUID_V2_BUFFER_SIZE
const DRIVER_VERSION_BUFFER = 80 // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

export function nvmlCodeName(code: number): string {
  return CODE_NAMES[code] ?? `NVML_RETURN_${code}`
}

export class NvmlError extends ProbeError {
  readonly code: number
  readonly codeName: string
  readonly fn: string
  constructor(fn: string, code: number, description?: string | null, detail?: string) {
    const codeName = nvmlCodeName(code)
    super('nvml', `${fn}${detail ? ` (${detail})` : ''} failed: ${codeName} (${code})${description ? `: ${description}` : ''}`)
    this.name = 'NvmlError'
    this.code = code
    this.codeName = codeName
    this.fn = fn
  }
}

/** An opaque device handle: only pass it back to the Nvml that gave it. */
export type NvmlDevice = unknown

export type NvmlClock = 'graphics' | 'sm' | 'mem'
const CLOCK_TYPE: Record<NvmlClock, number> = { graphics: 0, sm: 1, mem: 2 }

export interface NvmlProcess {
  pid: number
  /** null when the driver reports NVML_VALUE_NOT_AVAILABLE (MIG, or not permitted to see it) */
  usedMemoryBytes: number | null
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0)
  return buf.toString('utf8', 0, end < 0 ? buf.length : end)
}

export class Nvml {
  /** the loaded library's raw bindings (for `supports` and diagnostics) */
  readonly bindings: NvmlBindings
  private open_ = true
  // scratch out-parameters, reused by every call
  private readonly u64 = new BigUint64Array(1)
  private readonly u32a = new Uint32Array(1)
  private readonly u32b = new Uint32Array(1)
  private readonly i32a = new Int32Array(1)
  private readonly i32b = new Int32Array(1)
  private readonly field = Buffer.alloc(NVML_LAYOUT.fieldValue.size)
  private readonly text = Buffer.alloc(NAME_BUFFER)
  private readonly struct24 = Buffer.alloc(24)
  private readonly pci = Buffer.alloc(NVML_LAYOUT.pciInfo.size)
  /** the process list's call and entry width, decided once from the driver version */
  private processLayout_: ProcessInfoLayout | null | undefined

  private constructor(bindings: NvmlBindings) {
    this.bindings = bindings
  }

  /**
   * Load the library (by bare name `libnvidia-ml.so.1` unless given a name or path) and call
   * nvmlInit_v2. Throws NvmlLoadError when it cannot be loaded, NvmlError when init fails
   * (DRIVER_NOT_LOADED: library present but no kernel driver, NO_PERMISSION, ...).
   */
  static open(library?: string): Nvml {
    const b = loadNvmlBindings(library)
    const rc = b.nvmlInit_v2()
    if (rc !== NVML_RETURN.SUCCESS) throw new NvmlError('nvmlInit_v2', rc, b.nvmlErrorString?.(rc))
    return new Nvml(b)
  }

  /** nvmlShutdown; idempotent. NVML counts inits, so other open Nvml instances keep working. */
  shutdown(): void {
    if (!this.open_) return
    this.open_ = false
    this.bindings.nvmlShutdown()
  }

  /** whether this library has the symbol (the required ones always do) */
  supports(fn: string): boolean {
    return typeof (this.bindings as unknown as Record<string, unknown>)[fn] === 'function'
  }

  private fail(fn: string, rc: number, detail?: string): never {
    throw new NvmlError(fn, rc, this.bindings.nvmlErrorString?.(rc), detail)
  }

  private check(fn: string, rc: number): void {
    if (rc !== NVML_RETURN.SUCCESS) this.fail(fn, rc)
  }

  /** optional-call verdict: true = success, false = not available here, else throws */
  private ok(fn: string, rc: number): boolean {
    if (rc === NVML_RETURN.SUCCESS) return true
    if (SOFT.has(rc)) return false
    this.fail(fn, rc)
  }

  private u32Getter(fn: NvmlOptionalName & `nvmlDevice${string}`, d: NvmlDevice): number | null {
    const f = this.bindings[fn] as ((device: unknown, out: Uint32Array) => number) | undefined
    if (!f) return null
    return this.ok(fn, f(d, this.u32a)) ? this.u32a[0] : null
  }

  // ---------------------------------------------------------------- required

  deviceCount(): number {
    this.check('nvmlDeviceGetCount_v2', this.bindings.nvmlDeviceGetCount_v2(this.u32a))
    return this.u32a[0]
  }

  handleByIndex(i: number): NvmlDevice {
    this.check('nvmlDeviceGetHandleByIndex_v2', this.bindings.nvmlDeviceGetHandleByIndex_v2(i, this.u64))
    return this.u64[0]
  }

  name(d: NvmlDevice): string {
    const buf = this.text.subarray(0, NAME_BUFFER).fill(0)
    this.check('nvmlDeviceGetName', this.bindings.nvmlDeviceGetName(d, buf, NAME_BUFFER))
    return cString(buf)
  }

  uuid(d: NvmlDevice): string {
    const buf = this.text.subarray(0, UUID_BUFFER).fill(0)
    this.check('nvmlDeviceGetUUID', this.bindings.nvmlDeviceGetUUID(d, buf, UUID_BUFFER))
    return cString(buf)
  }

  /** The energy counter in mJ since the driver loaded (Volta+). The hot path: one FFI call, no allocation. */
  totalEnergyMj(d: NvmlDevice): number {
    const rc = this.bindings.nvmlDeviceGetTotalEnergyConsumption(d, this.u64)
    if (rc !== 0) this.fail('nvmlDeviceGetTotalEnergyConsumption', rc)
    return Number(this.u64[0])
  }

  // ---------------------------------------------------------------- optional

  /** null when the symbol is missing, the UUID is unknown (NOT_FOUND), or the call is not supported */
  handleByUuid(uuid: string): NvmlDevice | null {
    const f = this.bindings.nvmlDeviceGetHandleByUUID
    if (!f) return null
    const rc = f(uuid, this.u64)
    if (rc === NVML_RETURN.NOT_FOUND) return null
    return this.ok('nvmlDeviceGetHandleByUUID', rc) ? this.u64[0] : null
  }

  index(d: NvmlDevice): number | null {
    return this.u32Getter('nvmlDeviceGetIndex', d)
  }

  /** nvmlDeviceGetPowerUsage in mW (a 1 s average on Ampere (not GA100) and newer, instant before) */
  powerUsageMw(d: NvmlDevice): number | null {
    return this.u32Getter('nvmlDeviceGetPowerUsage', d)
  }

  /**
   * One nvmlDeviceGetFieldValues field as a number, or null when the function is missing or the
   * field's own nvmlReturn says not supported. Throws for other per-field or call errors.
   */
  fieldValue(d: NvmlDevice, fieldId: number, scopeId: number = NVML_POWER_SCOPE.GPU): number | null {
    const f = this.bindings.nvmlDeviceGetFieldValues
    if (!f) return null
    const L = NVML_LAYOUT.fieldValue
    const buf = this.field.fill(0)
    buf.writeUInt32LE(fieldId, L.fieldId)
    buf.writeUInt32LE(scopeId, L.scopeId)
    if (!this.ok('nvmlDeviceGetFieldValues', f(d, 1, buf))) return null
    const rc = buf.readUInt32LE(L.nvmlReturn)
    if (rc !== NVML_RETURN.SUCCESS) {
      if (SOFT.has(rc)) return null
      this.fail('nvmlDeviceGetFieldValues', rc, `field ${fieldId}`)
    }
    switch (buf.readInt32LE(L.valueType)) {
      case 0:
        return buf.readDoubleLE(L.value)
      case 1:
        return buf.readUInt32LE(L.value)
      case 2: // unsigned long: 64-bit on Linux
      case 3:
        return Number(buf.readBigUInt64LE(L.value))
      case 4:
        return Number(buf.readBigInt64LE(L.value))
      case 5:
        return buf.readInt32LE(L.value)
      case 6:
        return buf.readUInt16LE(L.value)
      default:
        this.fail('nvmlDeviceGetFieldValues', NVML_RETURN.UNKNOWN, `field ${fieldId}: unknown valueType ${buf.readInt32LE(L.valueType)}`)
    }
  }

  /** NVML_FI_DEV_POWER_INSTANT (186) in mW */
  instantPowerMw(d: NvmlDevice): number | null {
    return this.fieldValue(d, NVML_FIELD.POWER_INSTANT)
  }

  /** NVML_FI_DEV_POWER_INSTANT (186) with scopeId NVML_POWER_SCOPE_MODULE (1) in mW: the whole
   *  module's power on a Grace Hopper superchip; null where the driver has no module scope */
  moduleInstantPowerMw(d: NvmlDevice): number | null {
    return this.fieldValue(d, NVML_FIELD.POWER_INSTANT, NVML_POWER_SCOPE.MODULE)
  }

  /** NVML_FI_DEV_POWER_AVERAGE (185) in mW, averaged over about one second */
  averagePowerMw(d: NvmlDevice): number | null {
    return this.fieldValue(d, NVML_FIELD.POWER_AVERAGE)
  }

  /** GPU die temperature (sensor NVML_TEMPERATURE_GPU) */
  temperatureC(d: NvmlDevice): number | null {
    const f = this.bindings.nvmlDeviceGetTemperature
    if (!f) return null
    return this.ok('nvmlDeviceGetTemperature', f(d, 0, this.u32a)) ? this.u32a[0] : null
  }

  /** percent of the last sample period the GPU / memory controller was busy */
  utilization(d: NvmlDevice): { gpu: number; memory: number } | null {
    const f = this.bindings.nvmlDeviceGetUtilizationRates
    if (!f) return null
    const L = NVML_LAYOUT.utilization
    const buf = this.struct24.subarray(0, L.size).fill(0)
    if (!this.ok('nvmlDeviceGetUtilizationRates', f(d, buf))) return null
    return { gpu: buf.readUInt32LE(L.gpu), memory: buf.readUInt32LE(L.memory) }
  }

  /** bytes */
  memoryInfo(d: NvmlDevice): { total: number; free: number; used: number } | null {
    const f = this.bindings.nvmlDeviceGetMemoryInfo
    if (!f) return null
    const L = NVML_LAYOUT.memory
    const buf = this.struct24.subarray(0, L.size).fill(0)
    if (!this.ok('nvmlDeviceGetMemoryInfo', f(d, buf))) return null
    return {
      total: Number(buf.readBigUInt64LE(L.total)),
      free: Number(buf.readBigUInt64LE(L.free)),
      used: Number(buf.readBigUInt64LE(L.used)),
    }
  }

  /** current clock in MHz */
  clockMhz(d: NvmlDevice, clock: NvmlClock): number | null {
    const f = this.bindings.nvmlDeviceGetClockInfo
    if (!f) return null
    return this.ok('nvmlDeviceGetClockInfo', f(d, CLOCK_TYPE[clock], this.u32a)) ? this.u32a[0] : null
  }

  /**
   * Clocks-event (throttle) reason bits, NVML_CLOCKS_EVENT: nvmlDeviceGetCurrentClocksEventReasons
   * (r535+), else the older nvmlDeviceGetCurrentClocksThrottleReasons. Bits above 2^53 would be lost
   * in the Number; all defined bits are below 2^32.
   */
  clocksEventReasons(d: NvmlDevice): number | null {
    const current = this.bindings.nvmlDeviceGetCurrentClocksEventReasons
    if (current && this.ok('nvmlDeviceGetCurrentClocksEventReasons', current(d, this.u64))) return Number(this.u64[0])
    const older = this.bindings.nvmlDeviceGetCurrentClocksThrottleReasons
    if (older && this.ok('nvmlDeviceGetCurrentClocksThrottleReasons', older(d, this.u64))) return Number(this.u64[0])
    return null
  }

  /** the enforced power limit in mW */
  powerLimitMw(d: NvmlDevice): number | null {
    return this.u32Getter('nvmlDeviceGetPowerManagementLimit', d)
  }

  defaultPowerLimitMw(d: NvmlDevice): number | null {
    return this.u32Getter('nvmlDeviceGetPowerManagementDefaultLimit', d)
  }

  persistenceMode(d: NvmlDevice): boolean | null {
    const f = this.bindings.nvmlDeviceGetPersistenceMode
    if (!f) return null
    return this.ok('nvmlDeviceGetPersistenceMode', f(d, this.i32a)) ? this.i32a[0] === 1 : null
  }

  /** null on GPUs without MIG (NOT_SUPPORTED) and on drivers without the function */
  migMode(d: NvmlDevice): { current: boolean; pending: boolean } | null {
    const f = this.bindings.nvmlDeviceGetMigMode
    if (!f) return null
    if (!this.ok('nvmlDeviceGetMigMode', f(d, this.u32a, this.u32b))) return null
    return { current: this.u32a[0] === 1, pending: this.u32b[0] === 1 }
  }

  computeCapability(d: NvmlDevice): { major: number; minor: number } | null {
    const f = this.bindings.nvmlDeviceGetCudaComputeCapability
    if (!f) return null
    if (!this.ok('nvmlDeviceGetCudaComputeCapability', f(d, this.i32a, this.i32b))) return null
    return { major: this.i32a[0], minor: this.i32b[0] }
  }

  /** NVML_ARCH value (5 Volta: the energy counter exists from here on) */
  architecture(d: NvmlDevice): number | null {
    return this.u32Getter('nvmlDeviceGetArchitecture', d)
  }

  /** the device's PCI bus id as NVML writes it ("00000000:18:00.0"), what CUDA_DEVICE_ORDER=PCI_BUS_ID sorts by */
  pciBusId(d: NvmlDevice): string | null {
    const f = this.bindings.nvmlDeviceGetPciInfo_v3
    if (!f) return null
    const L = NVML_LAYOUT.pciInfo
    const buf = this.pci.fill(0)
    if (!this.ok('nvmlDeviceGetPciInfo_v3', f(d, buf))) return null
    return cString(buf.subarray(L.busId, L.size)) || null
  }

  pcie(d: NvmlDevice): { generation: number; width: number } | null {
    const generation = this.u32Getter('nvmlDeviceGetCurrPcieLinkGeneration', d)
    const width = this.u32Getter('nvmlDeviceGetCurrPcieLinkWidth', d)
    return generation === null || width === null ? null : { generation, width }
  }

  /**
   * Compute processes on the device; [] when none, null when the driver cannot list them. The call and
   * its entry width follow the driver version (processes.ts); the buffer is sized from the count NVML
   * answers the sizing call with, at the widest entry any driver writes.
   */
  computeProcesses(d: NvmlDevice): NvmlProcess[] | null {
    this.processLayout_ ??= processInfoLayout(this.driverVersion(), { v3: this.supports('nvmlDeviceGetComputeRunningProcesses_v3'), v2: this.supports('nvmlDeviceGetComputeRunningProcesses_v2') })
    const layout = this.processLayout_
    if (layout === null) return null
    const f = this.bindings[layout.fn]!
    const count = new Uint32Array(1)
    let buf: Buffer | null = null
    // size with count 0 first; processes can start between calls, so retry a few times with headroom
    for (let attempt = 0; attempt < 5; attempt++) {
      const rc = f(d, count, buf)
      if (rc === NVML_RETURN.INSUFFICIENT_SIZE) {
        // NVML answered with how many there are: room for those and a few more
        const entries = count[0] + 4
        buf = Buffer.alloc(entries * MAX_PROCESS_INFO_SIZE)
        count[0] = entries
        continue
      }
      if (!this.ok(layout.fn, rc)) return null
      return decodeProcesses(buf, count[0], layout.size)
    }
    this.fail(layout.fn, NVML_RETURN.INSUFFICIENT_SIZE, 'the process list kept growing')
  }

  /** e.g. '550.54.15' */
  driverVersion(): string | null {
    const f = this.bindings.nvmlSystemGetDriverVersion
    if (!f) return null
    const buf = this.text.subarray(0, DRIVER_VERSION_BUFFER).fill(0)
    return this.ok('nvmlSystemGetDriverVersion', f(buf, DRIVER_VERSION_BUFFER)) ? cString(buf) : null
  }

  /** CUDA version the driver supports, 1000 * major + 10 * minor (12040 = 12.4) */
  cudaDriverVersion(): number | null {
    const f = this.bindings.nvmlSystemGetCudaDriverVersion_v2
    if (!f) return null
    return this.ok('nvmlSystemGetCudaDriverVersion_v2', f(this.i32a)) ? this.i32a[0] : null
  }
}
