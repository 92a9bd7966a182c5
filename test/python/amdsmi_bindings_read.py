"""Read what llem's AMD SMI probe reads, through AMD's own Python package (amdsmi, PyPI).

Run by test/fixtures/peers/amdsmi-bindings.ts. The package's amdsmi_wrapper.py loads
$ROCM_PATH/lib/libamd_smi.so with ctypes; the caller points ROCM_PATH at a folder whose lib/ holds
the fake libamd_smi.so, and FAKE_AMDSMI_CONFIG at its script.

  amdsmi_bindings_read.py read [--settle S]   every value, per processor, as one JSON document
  amdsmi_bindings_read.py declared            the package's ctypes declarations of what llem binds:
                                              struct layouts, function signatures, status codes

Values are read through the package's public functions (amdsmi_interface), except the
gpu_metrics throttle word, which that layer turns into a bool: it is read from the package's own
ctypes struct. A call that fails is {'error': 'AMDSMI_STATUS_...'}, named as the package names it.
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

# imported by name: the env that type-checks the repo's Python (tf5) does not have amdsmi
amdsmi: Any = importlib.import_module('amdsmi')
wrapper: Any = importlib.import_module('amdsmi.amdsmi_wrapper')

STATUS_NAMES: dict[int, str] = dict(wrapper.amdsmi_status_t__enumvalues)


def attempt(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except amdsmi.AmdSmiLibraryException as e:
        return {'error': STATUS_NAMES.get(e.get_error_code(), f'AMDSMI_STATUS_{e.get_error_code()}')}


def big(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    """64-bit integers as decimal strings: JSON numbers lose digits above 2^53 in the reader."""
    return {k: str(v) if k in keys else v for k, v in d.items()}


def raw_throttle(h: Any) -> int:
    m = wrapper.amdsmi_gpu_metrics_t()
    rc = wrapper.amdsmi_get_gpu_metrics_info(h, ctypes.byref(m))
    if rc != wrapper.AMDSMI_STATUS_SUCCESS:
        raise amdsmi.AmdSmiLibraryException(rc)
    return int(m.indep_throttle_status)


def processor(h: Any, socket: int) -> dict[str, Any]:
    temp, metric = amdsmi.AmdSmiTemperatureType, amdsmi.AmdSmiTemperatureMetric.CURRENT
    vram = amdsmi.AmdSmiMemoryType.VRAM
    return {
        'socket': socket,
        'uuid': attempt(lambda: amdsmi.amdsmi_get_gpu_device_uuid(h)),
        'bdf': attempt(lambda: amdsmi.amdsmi_get_gpu_device_bdf(h)),
        'asic': attempt(lambda: amdsmi.amdsmi_get_gpu_asic_info(h)),
        'energy': attempt(lambda: big(amdsmi.amdsmi_get_energy_count(h), 'power', 'timestamp')),
        'power': attempt(lambda: amdsmi.amdsmi_get_power_info(h)),
        'temperature_edge': attempt(lambda: amdsmi.amdsmi_get_temp_metric(h, temp.EDGE, metric)),
        'temperature_hotspot': attempt(lambda: amdsmi.amdsmi_get_temp_metric(h, temp.HOTSPOT, metric)),
        'temperature_vram': attempt(lambda: amdsmi.amdsmi_get_temp_metric(h, temp.VRAM, metric)),
        'activity': attempt(lambda: amdsmi.amdsmi_get_gpu_activity(h)),
        'memory_total': attempt(lambda: amdsmi.amdsmi_get_gpu_memory_total(h, vram)),
        'memory_used': attempt(lambda: amdsmi.amdsmi_get_gpu_memory_usage(h, vram)),
        'clock_gfx': attempt(lambda: amdsmi.amdsmi_get_clock_info(h, amdsmi.AmdSmiClkType.GFX)),
        'clock_mem': attempt(lambda: amdsmi.amdsmi_get_clock_info(h, amdsmi.AmdSmiClkType.MEM)),
        'indep_throttle_status': attempt(lambda: str(raw_throttle(h))),
    }


def read(settle: float) -> dict[str, Any]:
    amdsmi.amdsmi_init(amdsmi.AmdSmiInitFlags.INIT_AMD_GPUS)
    try:
        time.sleep(settle)
        # the package's own enumeration, and which socket each of its processors is on
        handles = amdsmi.amdsmi_get_processor_handles()
        sockets: list[int] = []
        for s, sock in enumerate(amdsmi.amdsmi_get_socket_handles()):
            n = ctypes.c_uint32(0)
            rc = wrapper.amdsmi_get_processor_handles(sock, ctypes.byref(n), None)
            if rc != wrapper.AMDSMI_STATUS_SUCCESS:
                raise amdsmi.AmdSmiLibraryException(rc)
            sockets += [s] * n.value
        return {
            'amdsmi': importlib.metadata.version('amdsmi'),
            'library': loaded_library(),
            'processors': [processor(h, sockets[i]) for i, h in enumerate(handles)],
        }
    finally:
        amdsmi.amdsmi_shut_down()


def loaded_library() -> str | None:
    """The file the loader mapped for libamd_smi.so: proof that the package read the fake."""
    with open('/proc/self/maps') as f:
        for line in f:
            if line.rstrip().endswith('libamd_smi.so'):
                return line.split()[-1]
    return None


def ctype(t: Any) -> dict[str, Any]:
    """A ctypes type as the calling convention sees it: class and size, a pointer's pointee size."""
    if t is None:
        return {'class': 'void', 'size': 0}
    if t is ctypes.c_void_p:
        return {'class': 'pointer', 'size': ctypes.sizeof(t), 'pointee': 0}
    if isinstance(t, type) and issubclass(t, ctypes._Pointer):
        target = t._type_
        return {'class': 'pointer', 'size': ctypes.sizeof(t), 'pointee': 0 if target is None else ctypes.sizeof(target)}
    if isinstance(t, type) and issubclass(t, (ctypes.c_float, ctypes.c_double)):
        return {'class': 'float', 'size': ctypes.sizeof(t)}
    return {'class': 'integer', 'size': ctypes.sizeof(t)}


def members(cls: Any) -> list[dict[str, Any]]:
    """A struct's members in order; clang2py's PADDING_n members spell out the gaps C leaves implicit."""
    return [{'name': name, 'offset': getattr(cls, name).offset, 'size': ctypes.sizeof(t)} for name, t, *_ in cls._fields_ if not name.startswith('PADDING_')]


def bdf_masks() -> dict[str, int]:
    """Which bits of the 64-bit word each amdsmi_bdf_t bitfield occupies, as the package declares it."""
    out = {}
    for name, _type, bits in wrapper.struct_amdsmi_bdf_t._fields_:
        u = wrapper.amdsmi_bdf_t()
        setattr(u.struct_amdsmi_bdf_t, name, (1 << bits) - 1)
        out[name] = u.as_uint
    return out


def declared(structs: list[str], functions: list[str]) -> dict[str, Any]:
    return {
        'amdsmi': importlib.metadata.version('amdsmi'),
        'structs': {s: {'size': ctypes.sizeof(getattr(wrapper, s)), 'members': members(getattr(wrapper, s))} for s in structs},
        'functions': {f: {'restype': ctype(getattr(wrapper, f).restype), 'argtypes': [ctype(a) for a in getattr(wrapper, f).argtypes]} for f in functions},
        'status': {name: code for code, name in STATUS_NAMES.items()},
        'init_amd_gpus': int(wrapper.AMDSMI_INIT_AMD_GPUS),
        'bdf_size': ctypes.sizeof(wrapper.amdsmi_bdf_t),
        'bdf_masks': bdf_masks(),
    }


def names(csv: str) -> list[str]:
    return [x for x in csv.split(',') if x]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('mode', choices=['read', 'declared'])
    parser.add_argument('--settle', type=float, default=0.0)
    parser.add_argument('--structs', default='')
    parser.add_argument('--functions', default='')
    args = parser.parse_args()
    json.dump(read(args.settle) if args.mode == 'read' else declared(names(args.structs), names(args.functions)), sys.stdout)


if __name__ == '__main__':
    main()
