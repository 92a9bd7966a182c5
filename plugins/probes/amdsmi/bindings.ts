/**
 * Raw koffi bindings to AMD SMI (libamd_smi.so), declared with the C signatures of the amdsmi.h
 * released with ROCm 6.2.2 (AMDSMI_LIB_VERSION 24.6.3), no policy. `amdsmi.ts` wraps these in a
 * checked API; use that instead.
 *
 * Out-parameters are typed arrays or Buffers the caller owns and reuses, as in the NVML bindings;
 * structs are read back at the offsets in AMDSMI_LAYOUT, which are checked against koffi's own
 * layout of the declared structs at load. Handles (`void *` in the header) come back as bigints in a
 * BigUint64Array and are passed straight back in.
 *
 * Loading: by bare name first (ld.so.cache, LD_LIBRARY_PATH), then ROCm's default install path,
 * because ROCm does not always put /opt/rocm/lib on the loader path.
 */
import type { LibraryHandle, TypeObject } from 'koffi'
import { koffiOnDemand } from '../koffi-on-demand.js'
import { ProbeError } from 'llem/plugin/runtime'

export const DEFAULT_AMDSMI_LIBRARIES = ['libamd_smi.so', '/opt/rocm/lib/libamd_smi.so'] as const

/** what koffi gives for an amdsmi_processor_handle / amdsmi_socket_handle (a bigint address) */
export type AmdSmiRawHandle = unknown

export class AmdSmiLoadError extends ProbeError {
  readonly library: string
  constructor(library: string, cause: unknown, hint = 'ROCm (amd-smi-lib) is not installed, or libamd_smi.so is not on the loader path; set probes.amdsmi.library') {
    const why = cause instanceof Error ? cause.message : String(cause)
    super('amdsmi', `cannot load ${library} (${hint}): ${why}`, { cause })
    this.name = 'AmdSmiLoadError'
    this.library = library
  }
}

/** Byte layouts on 64-bit Linux of the amdsmi.h (ROCm 6.2.2) structs llem reads. */
export const AMDSMI_LAYOUT = {
  /** amdsmi_power_info_t { u32 current_socket_power, average_socket_power, gfx_voltage, soc_voltage,
   *  mem_voltage, power_limit; u32 reserved[11] } */
  powerInfo: { size: 68, current_socket_power: 0, average_socket_power: 4, power_limit: 20 },
  /** amdsmi_engine_usage_t { u32 gfx_activity, umc_activity, mm_activity; u32 reserved[13] } */
  engineUsage: { size: 64, gfx_activity: 0, umc_activity: 4, mm_activity: 8 },
  /** amdsmi_clk_info_t { u32 clk, min_clk, max_clk; u8 clk_locked, clk_deep_sleep; u32 reserved[4] } */
  clkInfo: { size: 32, clk: 0, min_clk: 4, max_clk: 8 },
  /** amdsmi_asic_info_t { char market_name[256]; u32 vendor_id; char vendor_name[64]; u32 subvendor_id;
   *  u64 device_id; u32 rev_id; char asic_serial[32]; u32 oam_id; u32 reserved[18] } */
  asicInfo: { size: 448, market_name: 0, vendor_id: 256, device_id: 328, asic_serial: 340 },
  /** amdsmi_gpu_metrics_t (metrics table 1.0 to 1.5 in one struct): the members llem reads */
  gpuMetrics: {
    size: 424, common_header: 0, temperature_edge: 4, temperature_hotspot: 6, average_gfx_activity: 16, average_umc_activity: 18,
    average_socket_power: 22, energy_accumulator: 24, system_clock_counter: 32, current_gfxclk: 54, current_uclk: 58,
    throttle_status: 68, firmware_timestamp: 96, indep_throttle_status: 112, current_socket_power: 120,
  },
} as const

type Fn<A extends unknown[]> = (...args: A) => number
type H = AmdSmiRawHandle

export interface AmdSmiRequiredBindings {
  amdsmi_init: Fn<[initFlags: number]>
  amdsmi_shut_down: Fn<[]>
  amdsmi_get_socket_handles: Fn<[socketCount: Uint32Array, socketHandles: BigUint64Array | null]>
  amdsmi_get_processor_handles: Fn<[socket: H, processorCount: Uint32Array, processorHandles: BigUint64Array | null]>
  amdsmi_get_gpu_device_uuid: Fn<[processor: H, uuidLength: Uint32Array, uuid: Buffer]>
  amdsmi_get_energy_count: Fn<[processor: H, power: BigUint64Array, counterResolution: Float32Array, timestamp: BigUint64Array]>
}

export interface AmdSmiOptionalBindings {
  amdsmi_status_code_to_string: (status: number, out: [string | null]) => number
  amdsmi_get_gpu_device_bdf: Fn<[processor: H, bdf: BigUint64Array]>
  amdsmi_get_gpu_asic_info: Fn<[processor: H, info: Buffer]>
  amdsmi_get_power_info: Fn<[processor: H, info: Buffer]>
  amdsmi_get_temp_metric: Fn<[processor: H, sensorType: number, metric: number, temperature: BigInt64Array]>
  amdsmi_get_gpu_activity: Fn<[processor: H, info: Buffer]>
  amdsmi_get_gpu_memory_total: Fn<[processor: H, memType: number, total: BigUint64Array]>
  amdsmi_get_gpu_memory_usage: Fn<[processor: H, memType: number, used: BigUint64Array]>
  amdsmi_get_clock_info: Fn<[processor: H, clkType: number, info: Buffer]>
  amdsmi_get_gpu_metrics_info: Fn<[processor: H, metrics: Buffer]>
}

export type AmdSmiOptionalName = keyof AmdSmiOptionalBindings

export type AmdSmiBindings = AmdSmiRequiredBindings &
  Partial<AmdSmiOptionalBindings> & {
    readonly library: string
    readonly missing: readonly AmdSmiOptionalName[]
  }

const REQUIRED: Record<keyof AmdSmiRequiredBindings, string> = {
  amdsmi_init: 'amdsmi_status_t amdsmi_init(uint64_t init_flags)',
  amdsmi_shut_down: 'amdsmi_status_t amdsmi_shut_down(void)',
  amdsmi_get_socket_handles: 'amdsmi_status_t amdsmi_get_socket_handles(uint32_t *socket_count, amdsmi_socket_handle *socket_handles)',
  amdsmi_get_processor_handles: 'amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle socket_handle, uint32_t *processor_count, amdsmi_processor_handle *processor_handles)',
  amdsmi_get_gpu_device_uuid: 'amdsmi_status_t amdsmi_get_gpu_device_uuid(amdsmi_processor_handle processor_handle, unsigned int *uuid_length, char *uuid)',
  amdsmi_get_energy_count: 'amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle processor_handle, uint64_t *power, float *counter_resolution, uint64_t *timestamp)',
}

const OPTIONAL: Record<AmdSmiOptionalName, string> = {
  amdsmi_status_code_to_string: 'amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t status, _Out_ const char **status_string)',
  // amdsmi_bdf_t is a union of a 64-bit bitfield and uint64_t as_uint: read as one u64
  amdsmi_get_gpu_device_bdf: 'amdsmi_status_t amdsmi_get_gpu_device_bdf(amdsmi_processor_handle processor_handle, uint64_t *bdf)',
  amdsmi_get_gpu_asic_info: 'amdsmi_status_t amdsmi_get_gpu_asic_info(amdsmi_processor_handle processor_handle, amdsmi_asic_info_t *info)',
  amdsmi_get_power_info: 'amdsmi_status_t amdsmi_get_power_info(amdsmi_processor_handle processor_handle, amdsmi_power_info_t *info)',
  amdsmi_get_temp_metric: 'amdsmi_status_t amdsmi_get_temp_metric(amdsmi_processor_handle processor_handle, amdsmi_temperature_type_t sensor_type, amdsmi_temperature_metric_t metric, int64_t *temperature)',
  amdsmi_get_gpu_activity: 'amdsmi_status_t amdsmi_get_gpu_activity(amdsmi_processor_handle processor_handle, amdsmi_engine_usage_t *info)',
  amdsmi_get_gpu_memory_total: 'amdsmi_status_t amdsmi_get_gpu_memory_total(amdsmi_processor_handle processor_handle, amdsmi_memory_type_t mem_type, uint64_t *total)',
  amdsmi_get_gpu_memory_usage: 'amdsmi_status_t amdsmi_get_gpu_memory_usage(amdsmi_processor_handle processor_handle, amdsmi_memory_type_t mem_type, uint64_t *used)',
  amdsmi_get_clock_info: 'amdsmi_status_t amdsmi_get_clock_info(amdsmi_processor_handle processor_handle, amdsmi_clk_type_t clk_type, amdsmi_clk_info_t *info)',
  amdsmi_get_gpu_metrics_info: 'amdsmi_status_t amdsmi_get_gpu_metrics_info(amdsmi_processor_handle processor_handle, amdsmi_gpu_metrics_t *pgpu_metrics)',
}

/** every C declaration llem binds, by function name (test/amdsmi-bindings-agree.test.ts holds them to AMD's own) */
export const AMDSMI_DECLARATIONS: Readonly<Record<string, string>> = { ...REQUIRED, ...OPTIONAL }

let typesDeclared = false

const u16 = 'uint16_t'
const u32 = 'uint32_t'
const u64 = 'uint64_t'

/** koffi type names are process-global: declare the AMD SMI types once. */
function declareTypes(): void {
  if (typesDeclared) return
  const koffi = koffiOnDemand()
  // the status enum holds 0xFFFFFFFF (AMDSMI_STATUS_UNKNOWN_ERROR), so the compiler makes it unsigned
  koffi.alias('amdsmi_status_t', u32)
  koffi.pointer('amdsmi_processor_handle', koffi.opaque('amdsmi_processor'))
  koffi.pointer('amdsmi_socket_handle', koffi.opaque('amdsmi_socket'))
  for (const e of ['amdsmi_temperature_type_t', 'amdsmi_temperature_metric_t', 'amdsmi_memory_type_t', 'amdsmi_clk_type_t']) koffi.alias(e, 'int')
  const types = {
    powerInfo: koffi.struct('amdsmi_power_info_t', {
      current_socket_power: u32, average_socket_power: u32, gfx_voltage: u32, soc_voltage: u32, mem_voltage: u32, power_limit: u32, reserved: koffi.array(u32, 11),
    }),
    engineUsage: koffi.struct('amdsmi_engine_usage_t', { gfx_activity: u32, umc_activity: u32, mm_activity: u32, reserved: koffi.array(u32, 13) }),
    clkInfo: koffi.struct('amdsmi_clk_info_t', { clk: u32, min_clk: u32, max_clk: u32, clk_locked: 'uint8_t', clk_deep_sleep: 'uint8_t', reserved: koffi.array(u32, 4) }),
    asicInfo: koffi.struct('amdsmi_asic_info_t', {
      market_name: koffi.array('char', 256), vendor_id: u32, vendor_name: koffi.array('char', 64), subvendor_id: u32, device_id: u64,
      rev_id: u32, asic_serial: koffi.array('char', 32), oam_id: u32, reserved: koffi.array(u32, 18),
    }),
    gpuMetrics: koffi.struct('amdsmi_gpu_metrics_t', {
      common_header: koffi.struct('amd_metrics_table_header_t', { structure_size: u16, format_revision: 'uint8_t', content_revision: 'uint8_t' }),
      temperature_edge: u16, temperature_hotspot: u16, temperature_mem: u16, temperature_vrgfx: u16, temperature_vrsoc: u16, temperature_vrmem: u16,
      average_gfx_activity: u16, average_umc_activity: u16, average_mm_activity: u16,
      average_socket_power: u16, energy_accumulator: u64, system_clock_counter: u64,
      average_gfxclk_frequency: u16, average_socclk_frequency: u16, average_uclk_frequency: u16, average_vclk0_frequency: u16,
      average_dclk0_frequency: u16, average_vclk1_frequency: u16, average_dclk1_frequency: u16,
      current_gfxclk: u16, current_socclk: u16, current_uclk: u16, current_vclk0: u16, current_dclk0: u16, current_vclk1: u16, current_dclk1: u16,
      throttle_status: u32, current_fan_speed: u16, pcie_link_width: u16, pcie_link_speed: u16,
      gfx_activity_acc: u32, mem_activity_acc: u32, temperature_hbm: koffi.array(u16, 4),
      firmware_timestamp: u64,
      voltage_soc: u16, voltage_gfx: u16, voltage_mem: u16, indep_throttle_status: u64,
      current_socket_power: u16, vcn_activity: koffi.array(u16, 4), gfxclk_lock_status: u32, xgmi_link_width: u16, xgmi_link_speed: u16,
      pcie_bandwidth_acc: u64, pcie_bandwidth_inst: u64, pcie_l0_to_recov_count_acc: u64, pcie_replay_count_acc: u64, pcie_replay_rover_count_acc: u64,
      xgmi_read_data_acc: koffi.array(u64, 8), xgmi_write_data_acc: koffi.array(u64, 8),
      current_gfxclks: koffi.array(u16, 8), current_socclks: koffi.array(u16, 4), current_vclk0s: koffi.array(u16, 4), current_dclk0s: koffi.array(u16, 4),
      jpeg_activity: koffi.array(u16, 32), pcie_nak_sent_count_acc: u32, pcie_nak_rcvd_count_acc: u32,
    }),
  }
  // the wrapper decodes Buffers at AMDSMI_LAYOUT's offsets: make sure they are the C layout
  for (const [key, type] of Object.entries(types) as Array<[keyof typeof AMDSMI_LAYOUT, TypeObject]>) {
    const layout: Record<string, number> = AMDSMI_LAYOUT[key]
    if (koffi.sizeof(type) !== layout.size) throw new Error(`AMDSMI_LAYOUT.${key}: size ${layout.size}, koffi says ${koffi.sizeof(type)}`)
    for (const member of Object.keys(layout))
      if (member !== 'size' && koffi.offsetof(type, member) !== layout[member]) throw new Error(`AMDSMI_LAYOUT.${key}.${member}: offset ${layout[member]}, koffi says ${koffi.offsetof(type, member)}`)
  }
  typesDeclared = true
}

function loadFirst(names: readonly string[]): { lib: LibraryHandle; name: string } {
  const koffi = koffiOnDemand()
  let first: unknown
  for (const name of names) {
    try {
      return { lib: koffi.load(name), name }
    } catch (e) {
      first ??= e
    }
  }
  throw new AmdSmiLoadError(names.join(' or '), first)
}

/**
 * Load AMD SMI and declare its functions. Throws AmdSmiLoadError when the library cannot be loaded
 * or lacks a required symbol. Does not call amdsmi_init.
 */
export function loadAmdSmiBindings(library?: string): AmdSmiBindings {
  declareTypes()
  const { lib, name } = loadFirst(library ? [library] : DEFAULT_AMDSMI_LIBRARIES)
  const out: Record<string, unknown> = { library: name }
  for (const [key, decl] of Object.entries(REQUIRED)) {
    try {
      out[key] = lib.func(decl)
    } catch (e) {
      throw new AmdSmiLoadError(name, e, `not an AMD SMI library, or one older than ROCm 6: required function ${key} is missing`)
    }
  }
  const missing: AmdSmiOptionalName[] = []
  for (const [key, decl] of Object.entries(OPTIONAL) as Array<[AmdSmiOptionalName, string]>) {
    try {
      out[key] = lib.func(decl)
    } catch {
      missing.push(key)
    }
  }
  out.missing = missing
  return out as unknown as AmdSmiBindings
}
