"""Read every value llem's NVML probe reports through NVIDIA's own Python bindings (nvidia-ml-py).

Run by test/fixtures/peers/nvml-bindings.ts with LD_LIBRARY_PATH pointing at the fake
libnvidia-ml.so.1 and FAKE_NVML_CONFIG at its script, so pynvml's CDLL('libnvidia-ml.so.1') loads
the same library llem reads. Prints one JSON document: per device, each value or the NVML error
name the call raised. Waits `--settle` seconds after nvmlInit before reading, so that a counter
whose trace has ended is read at its final value.

The 32-byte process entries (usedGpuCcProtectedMemory, what _v3 writes on drivers 535.0-535.97) are
read with nvidia-ml-py's own c_nvmlProcessDetail_v1_t, the struct NVIDIA declares with exactly those
fields, through the same _v3 symbol; nvidia-ml-py's _v3 wrapper itself declares 24-byte entries.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import importlib.metadata
import json
import sys
import time
from typing import Any, Callable

# imported by name: the env that type-checks the repo's Python (tf5) does not have nvidia-ml-py
pynvml: Any = importlib.import_module('pynvml')


def attempt(fn: Callable[[], Any]) -> Any:
    """The value, or {'error': 'NVML_ERROR_...'} as pynvml names the code it got."""
    try:
        return fn()
    except pynvml.NVMLError as e:
        names = {v: k for k, v in vars(pynvml).items() if k.startswith('NVML_ERROR_') and isinstance(v, int)}
        return {'error': names.get(e.value, f'NVML_RETURN_{e.value}')}


def text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def processes(objs: list[Any]) -> list[dict[str, Any]]:
    return [{'pid': p.pid, 'usedGpuMemory': p.usedGpuMemory} for p in objs]


def processes_32(handle: Any) -> list[dict[str, Any]]:
    """_v3 with 32-byte entries, by the sizing protocol NVML documents (count 0 first)."""
    fn = pynvml._nvmlGetFunctionPointer('nvmlDeviceGetComputeRunningProcesses_v3')
    count = ctypes.c_uint(0)
    ret = fn(handle, ctypes.byref(count), None)
    if ret == pynvml.NVML_SUCCESS:
        return []
    if ret != pynvml.NVML_ERROR_INSUFFICIENT_SIZE:
        raise pynvml.NVMLError(ret)
    count.value = count.value * 2 + 5
    entries = (pynvml.c_nvmlProcessDetail_v1_t * count.value)()
    pynvml._nvmlCheckReturn(fn(handle, ctypes.byref(count), entries))
    na = pynvml.NVML_VALUE_NOT_AVAILABLE_ulonglong.value
    return [{'pid': e.pid, 'usedGpuMemory': None if e.usedGpuMemory == na else e.usedGpuMemory} for e in entries[: count.value]]


def fields(handle: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    values = pynvml.nvmlDeviceGetFieldValues(handle, [pynvml.NVML_FI_DEV_POWER_AVERAGE, pynvml.NVML_FI_DEV_POWER_INSTANT])
    for v in values:
        if v.nvmlReturn != pynvml.NVML_SUCCESS:
            out[str(v.fieldId)] = {'error': f'NVML_RETURN_{v.nvmlReturn}'}
        elif v.valueType == pynvml.NVML_VALUE_TYPE_DOUBLE:
            out[str(v.fieldId)] = v.value.dVal
        else:
            out[str(v.fieldId)] = v.value.uiVal
    return out


def device(i: int) -> dict[str, Any]:
    h = pynvml.nvmlDeviceGetHandleByIndex(i)
    uuid = text(pynvml.nvmlDeviceGetUUID(h))
    mem = attempt(lambda: pynvml.nvmlDeviceGetMemoryInfo(h))
    util = attempt(lambda: pynvml.nvmlDeviceGetUtilizationRates(h))
    mig = attempt(lambda: pynvml.nvmlDeviceGetMigMode(h))
    cc = attempt(lambda: pynvml.nvmlDeviceGetCudaComputeCapability(h))
    return {
        'position': i,
        'index': attempt(lambda: pynvml.nvmlDeviceGetIndex(h)),
        'name': text(pynvml.nvmlDeviceGetName(h)),
        'uuid': uuid,
        'by_uuid_index': attempt(lambda: pynvml.nvmlDeviceGetIndex(pynvml.nvmlDeviceGetHandleByUUID(uuid))),
        'energy_mj': attempt(lambda: pynvml.nvmlDeviceGetTotalEnergyConsumption(h)),
        'power_usage_mw': attempt(lambda: pynvml.nvmlDeviceGetPowerUsage(h)),
        'fields': attempt(lambda: fields(h)),
        'temperature_c': attempt(lambda: pynvml.nvmlDeviceGetTemperature(h, pynvml.NVML_TEMPERATURE_GPU)),
        'utilization': util if isinstance(util, dict) else {'gpu': util.gpu, 'memory': util.memory},
        'memory': mem if isinstance(mem, dict) else {'total': mem.total, 'free': mem.free, 'used': mem.used},
        'clock_graphics_mhz': attempt(lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_GRAPHICS)),
        'clock_sm_mhz': attempt(lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_SM)),
        'clock_mem_mhz': attempt(lambda: pynvml.nvmlDeviceGetClockInfo(h, pynvml.NVML_CLOCK_MEM)),
        'clocks_event_reasons': attempt(lambda: pynvml.nvmlDeviceGetCurrentClocksEventReasons(h)),
        'clocks_throttle_reasons': attempt(lambda: pynvml.nvmlDeviceGetCurrentClocksThrottleReasons(h)),
        'power_limit_mw': attempt(lambda: pynvml.nvmlDeviceGetPowerManagementLimit(h)),
        'default_power_limit_mw': attempt(lambda: pynvml.nvmlDeviceGetPowerManagementDefaultLimit(h)),
        'persistence_mode': attempt(lambda: pynvml.nvmlDeviceGetPersistenceMode(h)),
        'mig_mode': mig if isinstance(mig, dict) else {'current': mig[0], 'pending': mig[1]},
        'compute_capability': cc if isinstance(cc, dict) else {'major': cc[0], 'minor': cc[1]},
        'architecture': attempt(lambda: pynvml.nvmlDeviceGetArchitecture(h)),
        'pcie_generation': attempt(lambda: pynvml.nvmlDeviceGetCurrPcieLinkGeneration(h)),
        'pcie_width': attempt(lambda: pynvml.nvmlDeviceGetCurrPcieLinkWidth(h)),
        'pci_bus_id': attempt(lambda: text(pynvml.nvmlDeviceGetPciInfo_v3(h).busId)),
        'processes_v3': attempt(lambda: processes(pynvml.nvmlDeviceGetComputeRunningProcesses_v3(h))),
        'processes_v3_32byte': attempt(lambda: processes_32(h)),
        'processes_v2': attempt(lambda: processes(pynvml.nvmlDeviceGetComputeRunningProcesses_v2(h))),
    }


def loaded_library() -> str | None:
    """The file the loader mapped for libnvidia-ml.so.1: proof that pynvml read the fake."""
    with open('/proc/self/maps') as f:
        for line in f:
            if line.rstrip().endswith('libnvidia-ml.so.1'):
                return line.split()[-1]
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--settle', type=float, default=0.0)
    args = parser.parse_args()
    pynvml.nvmlInit()
    try:
        time.sleep(args.settle)
        out = {
            'nvidia_ml_py': importlib.metadata.version('nvidia-ml-py'),
            'library': loaded_library(),
            'driver_version': text(pynvml.nvmlSystemGetDriverVersion()),
            'cuda_driver_version': attempt(pynvml.nvmlSystemGetCudaDriverVersion_v2),
            'devices': [device(i) for i in range(pynvml.nvmlDeviceGetCount())],
        }
    finally:
        pynvml.nvmlShutdown()
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
