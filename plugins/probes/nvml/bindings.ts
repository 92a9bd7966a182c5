/**
 * Raw koffi bindings to NVML (libnvidia-ml.so.1): every function declared with its real C signature,
 * no policy. `nvml.ts` wraps these in a checked API; use that instead.
 *
 * Calling convention used throughout: out-parameters are typed arrays or Buffers the caller owns and
 * reuses (koffi passes a pointer to their memory for the duration of the call). That is ~0.1 us a
 * call against ~0.45 us for koffi's `_Out_` array form, which matters for the energy counter read
 * at every window edge. Structs are read back from Buffers at the offsets in NVML_LAYOUT.
 *
 * nvmlDevice_t is `struct nvmlDevice_st *`; koffi 3 hands pointers back as bigints, so a handle
 * read out of a BigUint64Array is passed straight back in as the device argument.
 *
 * Loading: by bare name unless told otherwise, so the system loader (ld.so.cache, LD_LIBRARY_PATH,
 * which must be set before the process starts) finds the driver's copy. A required symbol missing ->
 * NvmlLoadError as well; optional symbols are declared one by one and left
 * undefined when this driver does not have them.
 */
import type { LibraryHandle, TypeObject } from 'koffi'
import { koffiOnDemand } from '../koffi-on-demand.js'
import { ProbeError } from 'llem/plugin/runtime'

export const DEFAULT_NVML_LIBRARY = 'libnvidia-ml.so.1'

/** What koffi gives for an nvmlDevice_t (a bigint address in koffi 3). Opaque to everyone else. */
export type NvmlRawHandle = unknown

/** koffi.load failed: no driver, or the library is not on the loader path. */
export class NvmlLoadError extends ProbeError {
  readonly library: string
  constructor(library: string, cause: unknown, hint = 'no NVIDIA driver installed, or not on the loader path; set probes.nvml.library') {
    const why = cause instanceof Error ? cause.message : String(cause)
    super('nvml', `cannot load ${library} (${hint}): ${why}`, { cause })
    this.name = 'NvmlLoadError'
    this.library = library
  }
}

/** Byte layouts of the NVML structs on 64-bit Linux (checked against koffi's own layout at load). */
export const NVML_LAYOUT = {
  /** nvmlUtilization_t { unsigned int gpu; unsigned int memory } */
  utilization: { size: 8, gpu: 0, memory: 4 },
  /** nvmlMemory_t { unsigned long long total, free, used } (bytes) */
  memory: { size: 24, total: 0, free: 8, used: 16 },
  /** nvmlFieldValue_t { u32 fieldId; u32 scopeId; i64 timestamp (us); i64 latencyUsec;
   *  nvmlValueType_t valueType; nvmlReturn_t nvmlReturn; nvmlValue_t value (8-byte union) } */
  fieldValue: { size: 40, fieldId: 0, scopeId: 4, timestamp: 8, latencyUsec: 16, valueType: 24, nvmlReturn: 28, value: 32 },
  /** nvmlProcessInfo_v2_t { u32 pid; u64 usedGpuMemory; u32 gpuInstanceId; u32 computeInstanceId }: what
   *  ..._v2 always writes, and ..._v3 on drivers R510-R530 and from 535.104 on (see processes.ts) */
  processInfoV2: { size: 24, pid: 0, usedGpuMemory: 8, gpuInstanceId: 16, computeInstanceId: 20 },
  /** the same plus u64 usedGpuCcProtectedMemory: what ..._v3 writes on drivers 535.43-535.86, whose
   *  nvml.h gave nvmlProcessInfo_t this field without a version bump (nvmlProcessDetail_v1_t since) */
  processInfoV3: { size: 32, pid: 0, usedGpuMemory: 8, gpuInstanceId: 16, computeInstanceId: 20, usedGpuCcProtectedMemory: 24 },
  /** nvmlPciInfo_t { char busIdLegacy[16]; u32 domain, bus, device, pciDeviceId, pciSubSystemId; char busId[32] } */
  pciInfo: { size: 68, busIdLegacy: 0, domain: 16, bus: 20, device: 24, pciDeviceId: 28, pciSubSystemId: 32, busId: 36 },
} as const

type Fn<A extends unknown[]> = (...args: A) => number
type H = NvmlRawHandle

export interface NvmlRequiredBindings {
  nvmlInit_v2: Fn<[]>
  nvmlShutdown: Fn<[]>
  nvmlDeviceGetCount_v2: Fn<[deviceCount: Uint32Array]>
  nvmlDeviceGetHandleByIndex_v2: Fn<[index: number, device: BigUint64Array]>
  nvmlDeviceGetName: Fn<[device: H, name: Buffer, length: number]>
  nvmlDeviceGetUUID: Fn<[device: H, uuid: Buffer, length: number]>
  nvmlDeviceGetTotalEnergyConsumption: Fn<[device: H, energy: BigUint64Array]>
}

export interface NvmlOptionalBindings {
  nvmlErrorString: (result: number) => string | null
  nvmlDeviceGetHandleByUUID: Fn<[uuid: string, device: BigUint64Array]>
  nvmlDeviceGetIndex: Fn<[device: H, index: Uint32Array]>
  nvmlDeviceGetPowerUsage: Fn<[device: H, power: Uint32Array]>
  nvmlDeviceGetFieldValues: Fn<[device: H, valuesCount: number, values: Buffer]>
  nvmlDeviceGetTemperature: Fn<[device: H, sensorType: number, temp: Uint32Array]>
  nvmlDeviceGetUtilizationRates: Fn<[device: H, utilization: Buffer]>
  nvmlDeviceGetMemoryInfo: Fn<[device: H, memory: Buffer]>
  nvmlDeviceGetClockInfo: Fn<[device: H, type: number, clock: Uint32Array]>
  nvmlDeviceGetCurrentClocksEventReasons: Fn<[device: H, clocksEventReasons: BigUint64Array]>
  nvmlDeviceGetCurrentClocksThrottleReasons: Fn<[device: H, clocksThrottleReasons: BigUint64Array]>
  nvmlDeviceGetPowerManagementLimit: Fn<[device: H, limit: Uint32Array]>
  nvmlDeviceGetPowerManagementDefaultLimit: Fn<[device: H, defaultLimit: Uint32Array]>
  nvmlDeviceGetPersistenceMode: Fn<[device: H, mode: Int32Array]>
  nvmlDeviceGetMigMode: Fn<[device: H, currentMode: Uint32Array, pendingMode: Uint32Array]>
  nvmlDeviceGetCudaComputeCapability: Fn<[device: H, major: Int32Array, minor: Int32Array]>
  nvmlDeviceGetArchitecture: Fn<[device: H, arch: Uint32Array]>
  nvmlDeviceGetCurrPcieLinkGeneration: Fn<[device: H, currLinkGen: Uint32Array]>
  nvmlDeviceGetCurrPcieLinkWidth: Fn<[device: H, currLinkWidth: Uint32Array]>
  nvmlDeviceGetPciInfo_v3: Fn<[device: H, pci: Buffer]>
  /** infos may be null when *infoCount is 0 (the sizing call); its entry layout depends on the driver (processes.ts) */
  nvmlDeviceGetComputeRunningProcesses_v3: Fn<[device: H, infoCount: Uint32Array, infos: Buffer | null]>
  /** entries are always nvmlProcessInfo_v2_t */
  nvmlDeviceGetComputeRunningProcesses_v2: Fn<[device: H, infoCount: Uint32Array, infos: Buffer | null]>
  nvmlSystemGetDriverVersion: Fn<[version: Buffer, length: number]>
  nvmlSystemGetCudaDriverVersion_v2: Fn<[cudaDriverVersion: Int32Array]>
}

export type NvmlOptionalName = keyof NvmlOptionalBindings

export type NvmlBindings = NvmlRequiredBindings &
  Partial<NvmlOptionalBindings> & {
    /** the name or path it was loaded by */
    readonly library: string
    /** optional symbols this library lacks */
    readonly missing: readonly NvmlOptionalName[]
  }

const REQUIRED: Record<keyof NvmlRequiredBindings, string> = {
  nvmlInit_v2: 'nvmlReturn_t nvmlInit_v2(void)',
  nvmlShutdown: 'nvmlReturn_t nvmlShutdown(void)',
  nvmlDeviceGetCount_v2: 'nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)',
  nvmlDeviceGetHandleByIndex_v2: 'nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)',
  nvmlDeviceGetName: 'nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)',
  nvmlDeviceGetUUID: 'nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)',
  nvmlDeviceGetTotalEnergyConsumption: 'nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)',
}

const OPTIONAL: Record<NvmlOptionalName, string> = {
  nvmlErrorString: 'const char *nvmlErrorString(nvmlReturn_t result)',
  nvmlDeviceGetHandleByUUID: 'nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device)',
  nvmlDeviceGetIndex: 'nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index)',
  nvmlDeviceGetPowerUsage: 'nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)',
  nvmlDeviceGetFieldValues: 'nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount, nvmlFieldValue_t *values)',
  nvmlDeviceGetTemperature: 'nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp)',
  nvmlDeviceGetUtilizationRates: 'nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)',
  nvmlDeviceGetMemoryInfo: 'nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)',
  nvmlDeviceGetClockInfo: 'nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock)',
  nvmlDeviceGetCurrentClocksEventReasons: 'nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device, unsigned long long *clocksEventReasons)',
  nvmlDeviceGetCurrentClocksThrottleReasons: 'nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device, unsigned long long *clocksThrottleReasons)',
  nvmlDeviceGetPowerManagementLimit: 'nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit)',
  nvmlDeviceGetPowerManagementDefaultLimit: 'nvmlReturn_t nvmlDeviceGetPowerManagementDefaultLimit(nvmlDevice_t device, unsigned int *defaultLimit)',
  nvmlDeviceGetPersistenceMode: 'nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, nvmlEnableState_t *mode)',
  nvmlDeviceGetMigMode: 'nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode)',
  nvmlDeviceGetCudaComputeCapability: 'nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int *major, int *minor)',
  nvmlDeviceGetArchitecture: 'nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, nvmlDeviceArchitecture_t *arch)',
  nvmlDeviceGetCurrPcieLinkGeneration: 'nvmlReturn_t nvmlDeviceGetCurrPcieLinkGeneration(nvmlDevice_t device, unsigned int *currLinkGen)',
  nvmlDeviceGetCurrPcieLinkWidth: 'nvmlReturn_t nvmlDeviceGetCurrPcieLinkWidth(nvmlDevice_t device, unsigned int *currLinkWidth)',
  nvmlDeviceGetPciInfo_v3: 'nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)',
  // void *: the entry layout is chosen at run time from the driver version, not by this declaration
  nvmlDeviceGetComputeRunningProcesses_v3: 'nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount, void *infos)',
  nvmlDeviceGetComputeRunningProcesses_v2: 'nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned int *infoCount, void *infos)',
  nvmlSystemGetDriverVersion: 'nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)',
  nvmlSystemGetCudaDriverVersion_v2: 'nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion)',
}

let typesDeclared = false

/** koffi type names are process-global: declare the NVML types once. */
function declareTypes(): void {
  if (typesDeclared) return
  const koffi = koffiOnDemand()
  koffi.alias('nvmlReturn_t', 'int')
  koffi.pointer('nvmlDevice_t', koffi.opaque('nvmlDevice_st'))
  koffi.alias('nvmlEnableState_t', 'int')
  koffi.alias('nvmlTemperatureSensors_t', 'int')
  koffi.alias('nvmlClockType_t', 'int')
  koffi.alias('nvmlDeviceArchitecture_t', 'unsigned int')
  koffi.alias('nvmlValueType_t', 'int')
  const types = {
    utilization: koffi.struct('nvmlUtilization_t', { gpu: 'unsigned int', memory: 'unsigned int' }),
    memory: koffi.struct('nvmlMemory_t', { total: 'unsigned long long', free: 'unsigned long long', used: 'unsigned long long' }),
    fieldValue: koffi.struct('nvmlFieldValue_t', {
      fieldId: 'unsigned int',
      scopeId: 'unsigned int',
      timestamp: 'long long',
      latencyUsec: 'long long',
      valueType: 'nvmlValueType_t',
      nvmlReturn: 'nvmlReturn_t',
      value: koffi.union('nvmlValue_t', {
        dVal: 'double',
        siVal: 'int',
        uiVal: 'unsigned int',
        ulVal: 'unsigned long',
        ullVal: 'unsigned long long',
        sllVal: 'long long',
        usVal: 'unsigned short',
      }),
    }),
    processInfoV2: koffi.struct('nvmlProcessInfo_v2_t', {
      pid: 'unsigned int',
      usedGpuMemory: 'unsigned long long',
      gpuInstanceId: 'unsigned int',
      computeInstanceId: 'unsigned int',
    }),
    processInfoV3: koffi.struct('nvmlProcessInfo_v3_t', {
      pid: 'unsigned int',
      usedGpuMemory: 'unsigned long long',
      gpuInstanceId: 'unsigned int',
      computeInstanceId: 'unsigned int',
      usedGpuCcProtectedMemory: 'unsigned long long',
    }),
    pciInfo: koffi.struct('nvmlPciInfo_t', {
      busIdLegacy: koffi.array('char', 16),
      domain: 'unsigned int',
      bus: 'unsigned int',
      device: 'unsigned int',
      pciDeviceId: 'unsigned int',
      pciSubSystemId: 'unsigned int',
      busId: koffi.array('char', 32),
    }),
  }
  // the wrapper decodes Buffers at NVML_LAYOUT's offsets: make sure they are the C layout
  for (const [key, type] of Object.entries(types) as Array<[keyof typeof NVML_LAYOUT, TypeObject]>) {
    const layout: Record<string, number> = NVML_LAYOUT[key]
    if (koffi.sizeof(type) !== layout.size) throw new Error(`NVML_LAYOUT.${key}: size ${layout.size}, koffi says ${koffi.sizeof(type)}`)
    for (const member of Object.keys(layout)) {
      if (member !== 'size' && koffi.offsetof(type, member) !== layout[member]) {
        throw new Error(`NVML_LAYOUT.${key}.${member}: offset ${layout[member]}, koffi says ${koffi.offsetof(type, member)}`)
      }
    }
  }
  typesDeclared = true
}

/**
 * Load NVML and declare its functions. Throws NvmlLoadError when the library cannot be loaded or
 * lacks a required symbol (not an NVML library, or an ancient one).
 * Does not call nvmlInit_v2.
 */
export function loadNvmlBindings(library?: string): NvmlBindings {
  const koffi = koffiOnDemand()
  const name = library ?? DEFAULT_NVML_LIBRARY
  declareTypes()
  let lib: LibraryHandle
  try {
    lib = koffi.load(name)
  } catch (e) {
    throw new NvmlLoadError(name, e)
  }
  const out: Record<string, unknown> = { library: name }
  for (const [key, decl] of Object.entries(REQUIRED)) {
    try {
      out[key] = lib.func(decl)
    } catch (e) {
      throw new NvmlLoadError(name, e, `not an NVML library, or a driver too old: required function ${key} is missing`)
    }
  }
  const missing: NvmlOptionalName[] = []
  for (const [key, decl] of Object.entries(OPTIONAL) as Array<[NvmlOptionalName, string]>) {
    try {
      out[key] = lib.func(decl)
    } catch {
      missing.push(key)
    }
  }
  out.missing = missing
  return out as unknown as NvmlBindings
}
