/** docs/validation.md: llem's NVML wrapper against nvidia-ml-py on the same library (test/fixtures/peers/nvml-bindings.ts). */
import { compareNvmlBindings, NVML_SCENARIOS, NVML_TRUTH } from '../../test/fixtures/peers/nvml-bindings.js'
import { pythonEnv } from '../../test/fixtures/python-envs.js'
import { table, yes, type ValidationSection } from './section.js'

/** what each compared quantity is on both sides: llem's Nvml getter and the NVML call behind both */
const CALLS: Record<string, string> = {
  driver_version: '`driverVersion()` / nvmlSystemGetDriverVersion',
  cuda_driver_version: '`cudaDriverVersion()` / nvmlSystemGetCudaDriverVersion_v2',
  device_count: '`deviceCount()` / nvmlDeviceGetCount_v2',
  position: 'handle by index (nvmlDeviceGetHandleByIndex_v2): the index llem records',
  index: '`index()` / nvmlDeviceGetIndex',
  name: '`name()` / nvmlDeviceGetName',
  uuid: '`uuid()` / nvmlDeviceGetUUID',
  by_uuid_index: '`handleByUuid()` / nvmlDeviceGetHandleByUUID, then its index',
  energy_mj: '`totalEnergyMj()` / nvmlDeviceGetTotalEnergyConsumption (mJ)',
  power_usage_mw: '`powerUsageMw()` / nvmlDeviceGetPowerUsage (mW)',
  field_185_mw: '`averagePowerMw()` / nvmlDeviceGetFieldValues, NVML_FI_DEV_POWER_AVERAGE',
  field_186_mw: '`instantPowerMw()` / nvmlDeviceGetFieldValues, NVML_FI_DEV_POWER_INSTANT',
  temperature_c: '`temperatureC()` / nvmlDeviceGetTemperature (GPU sensor)',
  utilization: '`utilization()` / nvmlDeviceGetUtilizationRates',
  memory: '`memoryInfo()` / nvmlDeviceGetMemoryInfo (total, free, used bytes)',
  clock_graphics_mhz: '`clockMhz(graphics)` / nvmlDeviceGetClockInfo',
  clock_sm_mhz: '`clockMhz(sm)` / nvmlDeviceGetClockInfo',
  clock_mem_mhz: '`clockMhz(mem)` / nvmlDeviceGetClockInfo',
  clocks_event_reasons: '`clocksEventReasons()` / nvmlDeviceGetCurrentClocksEventReasons',
  power_limit_mw: '`powerLimitMw()` / nvmlDeviceGetPowerManagementLimit',
  default_power_limit_mw: '`defaultPowerLimitMw()` / nvmlDeviceGetPowerManagementDefaultLimit',
  persistence_mode: '`persistenceMode()` / nvmlDeviceGetPersistenceMode',
  mig_mode: '`migMode()` / nvmlDeviceGetMigMode (current, pending)',
  compute_capability: '`computeCapability()` / nvmlDeviceGetCudaComputeCapability',
  architecture: '`architecture()` / nvmlDeviceGetArchitecture',
  pcie_generation: '`pcie()` / nvmlDeviceGetCurrPcieLinkGeneration',
  pcie_width: '`pcie()` / nvmlDeviceGetCurrPcieLinkWidth',
  pci_bus_id: '`pciBusId()` / nvmlDeviceGetPciInfo_v3 (busId)',
  processes: '`computeProcesses()` / nvmlDeviceGetComputeRunningProcesses_v3 (pid, used memory)',
}

const short = (s: string, n = 90) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export const nvmlBindingsSection: ValidationSection = {
  id: 'nvml-bindings',
  title: "NVML: llem's probe against NVIDIA's own bindings (nvidia-ml-py)",
  async run() {
    const c = compareNvmlBindings(pythonEnv('peers'))
    const quantities = [...new Set(c.rows.map((r) => r.quantity))]
    const perQuantity = quantities.map((q) => {
      const rs = c.rows.filter((r) => r.quantity === q)
      const sample = rs.find((r) => r.device <= 0 && r.scenario === NVML_SCENARIOS[1].name) ?? rs[0]
      return [q, CALLS[q] ?? '', rs.length, yes(rs.every((r) => r.agree)), short(sample.llem), short(sample.nvidia)]
    })
    const procs = c.rows.filter((r) => r.quantity === 'processes' && r.device === 0)
    const procRows = NVML_SCENARIOS.map((s) => {
      const r = procs.find((p) => p.scenario === s.name)!
      if (s.variant === 'old') return [s.name, 'no _v3 or _v2 symbol', 'FUNCTION_NOT_FOUND', short(r.llem, 120), yes(r.agree)]
      return [s.name, `${s.v3EntryBytes} bytes`, s.v3EntryBytes === 32 ? 'c_nvmlProcessDetail_v1_t' : 'c_nvmlProcessInfo_v3_t (= _v2_t)', short(r.llem, 120), yes(r.agree)]
    })
    const disagreements = c.rows.filter((r) => !r.agree)
    const truthOk = (Object.keys(NVML_TRUTH) as Array<keyof typeof NVML_TRUTH>).every((k) => c.truth[k].llem === NVML_TRUTH[k] && c.truth[k].nvidia === NVML_TRUTH[k])
    const agree = disagreements.length === 0 && c.libraries.pynvml === c.libraries.llem && truthOk
    const markdown = `
llem reads NVIDIA GPUs through its own koffi bindings (\`plugins/probes/nvml/\`); nvidia-ml-py
${c.nvidiaMlPy} is NVIDIA's Python binding, whose ctypes declarations are NVIDIA's statement of the ABI.
Both read the same simulated driver, the fake \`libnvidia-ml.so.1\` of the tests
(\`test/fixtures/fake-nvml/\`), under the same script: llem opens it by path in the test process,
pynvml's \`CDLL("libnvidia-ml.so.1")\` finds it through \`LD_LIBRARY_PATH\` in a child process (the file
it mapped, read from \`/proc/self/maps\`, is the one llem opened: ${yes(c.libraries.pynvml === c.libraries.llem)}).
Three devices: an H100 drawing a constant 312.5 W, its energy counter updating once a second, with
three compute processes (one with its memory not available), an A100 in MIG mode drawing 400 W for 0.25 s and then nothing, and a Pascal P100 (no
energy counter, no MIG). Three drivers: R535.54 and R550.54 with every symbol llem uses, and an old
R450 built without the newer ones (field values, \`ClocksEventReasons\`, MIG mode, the process lists,
the architecture), where llem falls back to \`nvmlDeviceGetCurrentClocksThrottleReasons\` and the
NVIDIA side is read through the same call. Both sides read after 1.3 s, when every value is still. Each value llem's
probe reports comes from one of the getters below; an NVML error is compared by name, and llem's
"not available here" (null) stands for NOT_SUPPORTED, FUNCTION_NOT_FOUND or NO_PERMISSION. Tolerance:
none, every value must be equal. Run in \`test/nvml-bindings-agree.test.ts\`.

${table(['quantity', "llem's getter / NVML call", 'readings compared', 'all equal', 'llem (device 0, R550)', 'nvidia-ml-py'], perQuantity)}

${c.rows.length} readings over ${NVML_SCENARIOS.length} drivers and 3 devices; ${disagreements.length} differ${disagreements.length ? `: ${disagreements.map((d) => `${d.scenario} device ${d.device} ${d.quantity} (llem ${d.llem}, NVIDIA ${d.nvidia})`).join('; ')}` : ''}.

**Physical truth.** The script's trace, not either reader, sets these: device 0 draws 312.5 W, so
power reads 312500 mW (llem ${String(c.truth.device0PowerMw.llem)}, nvidia-ml-py ${String(c.truth.device0PowerMw.nvidia)}) and its
counter, at 1.3 s, has counted one whole second: 312500 mJ (llem ${String(c.truth.device0EnergyMj.llem)}, nvidia-ml-py ${String(c.truth.device0EnergyMj.nvidia)});
device 1's counter ends at 400 W x 0.25 s = 100 J = 100000 mJ (llem ${String(c.truth.device1EnergyMj.llem)},
nvidia-ml-py ${String(c.truth.device1EnergyMj.nvidia)}).

**The running-process list.** What \`nvmlDeviceGetComputeRunningProcesses_v3\` writes per process
depends on the driver: 32 bytes (with \`usedGpuCcProtectedMemory\`) on R535.0-535.97, 24 bytes before and
after. The fake follows its \`driver version=\`; llem picks the width from the driver version
(\`plugins/probes/nvml/processes.ts\`); the NVIDIA side reads with the struct nvidia-ml-py declares for
that width.

${table(['driver', 'entry', "nvidia-ml-py's struct", 'llem reads (device 0)', 'equal'], procRows)}

nvidia-ml-py ${c.nvidiaMlPy}'s own \`nvmlDeviceGetComputeRunningProcesses_v3\` wrapper declares 24-byte
entries, so on the R535.54 driver it reads \`${short(JSON.stringify(c.pynvmlV3WrapperOn535), 160)}\`:
the first process right and the rest shifted, the misreading nvitop, go-nvml and pynvml users reported
on those drivers (XuehaiPan/nvitop#79, NVIDIA/go-nvml#75).

Not compared: the PCI bus id, which llem does not record (nor does the fake implement
\`nvmlDeviceGetPciInfo\`). For pynvml to initialise it at all, the fake gained \`nvmlInitWithFlags\`,
which nvidia-ml-py's \`nvmlInit()\` calls and real drivers export.
`
    return { markdown, agree }
  },
}
