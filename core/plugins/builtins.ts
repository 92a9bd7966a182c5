/**
 * The one place core names particular plugins. Imports are lazy so `llem --help` and `llem list`
 * never load native code; a user plugin is the same kind of object as these.
 */
import type { Backend } from '../backends/types.js'
import type { Probe } from '../probes/types.js'

type Lazy<T> = () => Promise<T>

export const builtinBackends: Record<string, Lazy<Backend<any>>> = {
  'llama-cpp': async () => (await import('../../plugins/backends/llama-cpp/index.js')).llamaCppBackend,
  openai: async () => (await import('../../plugins/backends/openai/index.js')).openaiBackend,
  server: async () => (await import('../../plugins/backends/server/index.js')).serverBackend,
  transformers: async () => (await import('../../plugins/backends/transformers/index.js')).transformersBackend,
  vllm: async () => (await import('../../plugins/backends/vllm/index.js')).vllmBackend,
  trtllm: async () => (await import('../../plugins/backends/trtllm/index.js')).trtllmBackend,
}

export const builtinProbes: Record<string, Lazy<Probe<any>>> = {
  nvml: async () => (await import('../../plugins/probes/nvml/index.js')).nvmlProbe,
  amdsmi: async () => (await import('../../plugins/probes/amdsmi/index.js')).amdsmiProbe,
  rapl: async () => (await import('../../plugins/probes/rapl.js')).raplProbe,
  jetson: async () => (await import('../../plugins/probes/jetson/index.js')).jetsonProbe,
  'cpu-estimate': async () => (await import('../../plugins/probes/cpu-estimate.js')).cpuEstimateProbe,
  redfish: async () => (await import('../../plugins/probes/bmc/redfish.js')).redfishProbe,
  ipmi: async () => (await import('../../plugins/probes/bmc/ipmi.js')).ipmiProbe,
}

/**
 * Built-in backends whose options are all optional (openai needs its baseURL, server its command):
 * named without options, `llem list` need not import them to check anything.
 * test/list-backend-imports.test.ts holds each of these to it.
 */
export const BACKENDS_WITHOUT_REQUIRED_OPTIONS = new Set(['llama-cpp', 'transformers', 'vllm', 'trtllm'])

/**
 * Built-in probes whose options are all optional: named with no options (llem's default list), or
 * turned off, there is nothing to check, so planning (`llem list`) need not import their modules
 * (some 26 of them). test/builtin-probe-options.test.ts holds each of these to it.
 */
export const PROBES_WITHOUT_REQUIRED_OPTIONS = new Set(['nvml', 'amdsmi', 'rapl', 'jetson', 'cpu-estimate'])

/** Probes that only stand in when no measuring probe covers the same kind of energy. */
export const FALLBACK_PROBES = new Set(['cpu-estimate'])
