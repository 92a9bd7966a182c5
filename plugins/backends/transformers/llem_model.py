"""Loading and describing the model for llem's transformers worker (worker.py): the imports with a
precise error when one is missing or too old, a pretrained or random-weight model, the tokenizer, and
memory figures from torch's CUDA allocator or the worker's own /proc entry.

torch and transformers are imported inside functions, not at the top: a missing one must become a
reply with a cause and a fix, not an ImportError before the worker has said hello. Their objects are
typed Any here for the same reason (the worker must type-check without them installed)."""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from typing import Any

# The oldest transformers release llem supports: 4.36 is the first with attn_implementation (an option
# llem passes through); requirements/tf4.txt pins exactly 4.36.0 and the tests run it.
MIN_TRANSFORMERS = (4, 36)
# transformers 4.56 renamed from_pretrained's torch_dtype to dtype; older releases only know the first
DTYPE_KWARG_SINCE = (4, 56)


class WorkerError(Exception):
    """A failure llem turns into a one-line cause with a hint; `code` says which kind, `extra` goes into
    the reply beside it (module names, versions) for llem's message."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.extra = extra


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r'\d+', v)[:2])


def import_stack() -> tuple[Any, Any]:
    """torch, then transformers; a missing one is named, a too old transformers is refused before it is
    imported (an old release may not even import against newer dependencies), a broken one keeps its
    own message."""
    try:
        import torch
    except ImportError as e:
        if (getattr(e, 'name', None) or '').split('.')[0] == 'torch':
            raise WorkerError('missing_module', str(e), module='torch') from e
        raise WorkerError('broken_module', f'torch is installed but does not import: {e}', module='torch') from e
    try:
        installed: str | None = metadata.version('transformers')
    except metadata.PackageNotFoundError:
        installed = None
    if installed is not None and version_tuple(installed) < MIN_TRANSFORMERS:
        minimum = '.'.join(map(str, MIN_TRANSFORMERS))
        raise WorkerError('old_module', f'transformers {installed} is older than {minimum}', module='transformers', version=installed, minimum=minimum)
    try:
        import transformers
    except ImportError as e:
        if (getattr(e, 'name', None) or '').split('.')[0] == 'transformers':
            raise WorkerError('missing_module', str(e), module='transformers', minimum='.'.join(map(str, MIN_TRANSFORMERS))) from e
        raise WorkerError('broken_module', f'transformers is installed but does not import: {e}', module='transformers') from e
    return torch, transformers


class ByteTokenizer:
    """For random-weight models, which come without a tokenizer: UTF-8 bytes shifted past three special
    ids (pad 0, bos 1, eos 2, as Llama configs number them), called like a Hugging Face tokenizer."""

    pad_token_id, bos_token_id, eos_token_id = 0, 1, 2

    def __init__(self, torch: Any, padding_side: str) -> None:
        self.torch = torch
        self.padding_side = padding_side

    def encode_one(self, text: str) -> list[int]:
        return [self.bos_token_id] + [b + 3 for b in text.encode('utf-8')]

    def __call__(self, text: Any, padding: bool = False, return_tensors: str | None = None) -> dict[str, Any]:
        if isinstance(text, str):
            ids = self.encode_one(text)
            return {'input_ids': ids, 'attention_mask': [1] * len(ids)}
        rows = [self.encode_one(t) for t in text]
        width = max(len(r) for r in rows)
        ids_rows, mask = [], []
        for r in rows:
            pad = width - len(r)
            left = self.padding_side == 'left'
            ids_rows.append([0] * pad + r if left else r + [0] * pad)
            mask.append([0] * pad + [1] * len(r) if left else [1] * len(r) + [0] * pad)
        return {'input_ids': self.torch.tensor(ids_rows), 'attention_mask': self.torch.tensor(mask)}

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return bytes(i - 3 for i in ids if 3 <= i < 259).decode('utf-8', errors='replace')


def proc_status_kb(field: str) -> int | None:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cuda_devices(torch: Any) -> list[int]:
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def memory(state: dict[str, Any]) -> dict[str, Any]:
    torch = state['torch']
    if state['on_cuda']:
        peak = sum(torch.cuda.max_memory_allocated(i) for i in cuda_devices(torch)) / 2**20
        return {'peak_mb': peak, 'model_mb': state['model_mb'], 'source': 'torch.cuda.max_memory_allocated (worker)'}
    hwm = proc_status_kb('VmHWM')
    return {'peak_mb': None if hwm is None else hwm / 1024, 'model_mb': state['model_mb'], 'source': 'worker process VmHWM (/proc/self/status)'}


def reset_peak(state: dict[str, Any]) -> None:
    torch = state['torch']
    if state['on_cuda']:
        for i in cuda_devices(torch):
            torch.cuda.reset_peak_memory_stats(i)
        return
    try:
        # "5" resets the peak RSS (VmHWM) to the current RSS, so the window's peak is the window's own
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass


def is_oom(torch: Any, e: BaseException) -> bool:
    oom = getattr(torch.cuda, 'OutOfMemoryError', None)
    return (oom is not None and isinstance(e, oom)) or (isinstance(e, RuntimeError) and 'out of memory' in str(e).lower())


# torch's words when a kernel has no version for a dtype on a device: `"addmm_impl_cpu_" not implemented
# for 'Half'` (float16 on the CPU before torch 2.2), the same for BFloat16 on old CPUs or builds
_NO_KERNEL = re.compile(r"not implemented for '(Half|BFloat16|Float8\w*)'")


def unsupported_dtype(e: BaseException) -> str | None:
    """The dtype a missing kernel was asked for, when `e` says so; None for any other error."""
    m = _NO_KERNEL.search(str(e)) if isinstance(e, (RuntimeError, NotImplementedError, TypeError)) else None
    return m.group(1) if m else None


def free_cache(torch: Any) -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def weights_mb(path: str | None) -> float | None:
    if not path or not os.path.isdir(path):
        return None
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files if f.endswith(('.safetensors', '.bin', '.pt', '.pth')))
    return total / 2**20


def dtype_name(dtype: Any) -> str:
    return str(dtype).replace('torch.', '')


def describe(model: Any, path: str | None, wanted: str) -> dict[str, Any]:
    cfg = model.config

    def get(*names: str) -> Any:
        return next((getattr(cfg, n) for n in names if getattr(cfg, n, None) is not None), None)

    layers, hidden, heads = get('num_hidden_layers', 'n_layer'), get('hidden_size', 'n_embd'), get('num_attention_heads', 'n_head')
    ff, vocab = get('intermediate_size'), get('vocab_size')
    shape = None
    # the FLOPs formula is a gated-FFN decoder's (Llama and kin): only those configs name intermediate_size
    if None not in (layers, hidden, heads, ff, vocab):
        shape = {
            'layers': layers,
            'hidden': hidden,
            'heads': heads,
            'headsKv': get('num_key_value_heads') or heads,
            'ff': ff,
            'vocab': vocab,
            'context': get('max_position_embeddings', 'n_positions') or 0,
        }
    return {
        'name_or_path': getattr(model, 'name_or_path', None),
        'path': path,
        'parameters': sum(p.numel() for p in model.parameters()),
        'architecture': getattr(cfg, 'model_type', None),
        'shape': shape,
        # what the weights really are, read back from the model: proof that the dtype argument took
        'precision': dtype_name(model.dtype) if getattr(model, 'dtype', None) is not None else wanted,
        'file_size_mb': weights_mb(path),
    }


def first_line(e: BaseException) -> str:
    return next((line.strip() for line in str(e).splitlines() if line.strip()), type(e).__name__)


def config_model_type(folder: str) -> str | None:
    import json

    try:
        with open(os.path.join(folder, 'config.json')) as f:
            mt = json.load(f).get('model_type')
        return mt if isinstance(mt, str) else None
    except (OSError, ValueError, AttributeError):
        return None


def bad_config(transformers: Any, where: str, e: BaseException, model_type: str | None) -> WorkerError:
    v = transformers.__version__
    # 4.x raises KeyError('nonesuch') for an unknown model_type, 5.x a ValueError naming it
    if model_type and model_type in str(e):
        why = f'model_type "{model_type}" is not an architecture transformers {v} knows'
    else:
        why = f'{type(e).__name__}: {first_line(e)}'
    return WorkerError('bad_config', f'{where}: {why}', transformers=v, model_type=model_type)


def flash_attention_missing(e: BaseException) -> bool:
    text = str(e).lower()
    return isinstance(e, ImportError) and ('flashattention' in text or 'flash_attn' in text or 'flash-attn' in text)


def load_config(transformers: Any, name: str, local: bool) -> Any:
    """The checkpoint's config, read before anything else so that a folder whose config cannot be built
    says so, instead of failing later inside the tokenizer or the model class."""
    is_dir = os.path.isdir(name)
    where = os.path.join(name, 'config.json') if is_dir else f'the config of "{name}"'
    try:
        return transformers.AutoConfig.from_pretrained(name, local_files_only=local)
    except OSError as e:  # transformers reports a missing repo, file or cache entry as OSError
        if is_dir:  # the folder is there: its config.json is missing or unreadable
            raise bad_config(transformers, where, e, None) from e
        raise WorkerError('model_not_found', str(e)) from e
    except (KeyError, ValueError) as e:
        raise bad_config(transformers, where, e, config_model_type(name) if is_dir else None) from e


def build_model(torch: Any, transformers: Any, spec: dict[str, Any], o: dict[str, Any], dtype: Any, device: str, seed: int) -> tuple[Any, Any, str | None]:
    """Returns (model, tokenizer, local path or None). Hub access and local_files_only are passed through."""
    kwargs: dict[str, Any] = {dtype_kwarg(transformers): dtype}
    if o.get('attnImplementation'):
        kwargs['attn_implementation'] = o['attnImplementation']
    local = bool(o.get('localFilesOnly'))
    try:
        if spec['kind'] == 'random':
            return build_random(torch, transformers, spec, o, kwargs, device, seed)
        return build_pretrained(torch, transformers, spec['id'], o, kwargs, device, seed, local)
    except ImportError as e:
        if flash_attention_missing(e):
            raise WorkerError('missing_module', first_line(e), module='flash_attn') from e
        raise


def dtype_kwarg(transformers: Any) -> str:
    return 'dtype' if version_tuple(transformers.__version__) >= DTYPE_KWARG_SINCE else 'torch_dtype'


def build_random(
    torch: Any, transformers: Any, spec: dict[str, Any], o: dict[str, Any], kwargs: dict[str, Any], device: str, seed: int
) -> tuple[Any, Any, None]:
    if o.get('quantization'):
        raise WorkerError('bad_option', 'quantization needs pretrained weights; a random model has none to quantize')
    cfg = dict(spec['config'])
    model_type = cfg.pop('model_type')
    try:
        config = transformers.AutoConfig.for_model(model_type, **cfg)
    except (KeyError, ValueError) as e:
        raise bad_config(transformers, 'model.random', e, model_type) from e
    torch.manual_seed(seed)
    target = o.get('deviceMap') if isinstance(o.get('deviceMap'), str) and o.get('deviceMap') != 'auto' else device
    # built where it will run: a 1B model initialised on the CPU and then moved would take minutes
    with torch.device(target):
        model = transformers.AutoModelForCausalLM.from_config(config, **kwargs)
    if o.get('tokenizer'):
        tok = transformers.AutoTokenizer.from_pretrained(o['tokenizer'], local_files_only=bool(o.get('localFilesOnly')))
    else:
        if (getattr(config, 'vocab_size', 0) or 0) < 259:
            raise WorkerError(
                'bad_option', f'the built-in byte tokenizer needs vocab_size >= 259 (the config has {config.vocab_size}); raise it or set backend.tokenizer'
            )
        tok = ByteTokenizer(torch, o['paddingSide'])
    return model, tok, None


def build_pretrained(
    torch: Any, transformers: Any, name: str, o: dict[str, Any], kwargs: dict[str, Any], device: str, seed: int, local: bool
) -> tuple[Any, Any, str | None]:
    if o.get('quantization'):
        try:
            import bitsandbytes  # noqa: F401  (only to fail here, with a clear message)
        except ImportError as e:
            raise WorkerError('missing_module', str(e), module='bitsandbytes') from e
        bits = o['quantization']
        kwargs['quantization_config'] = transformers.BitsAndBytesConfig(load_in_4bit=bits == '4bit', load_in_8bit=bits == '8bit')
    if o.get('deviceMap') is not None:
        kwargs['device_map'] = o['deviceMap']
    elif o.get('quantization'):
        kwargs['device_map'] = device
    # read first, only to fail clearly; not passed on: 4.36 with a config object given would hand
    # attn_implementation to the model class, which rejects it
    load_config(transformers, name, local)
    torch.manual_seed(seed)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(o.get('tokenizer') or name, local_files_only=local)
        model = transformers.AutoModelForCausalLM.from_pretrained(name, local_files_only=local, **kwargs)
    except OSError as e:  # a weight or tokenizer file that is not there
        raise WorkerError('model_not_found', str(e)) from e
    if 'device_map' not in kwargs:
        model = model.to(device)
    return model, tok, name if os.path.isdir(name) else None


def load(msg: dict[str, Any]) -> dict[str, Any]:
    torch, transformers = import_stack()
    # progress bars (loading weights, 5.x) are carriage-return animations: noise in a log read line by line
    quiet = getattr(getattr(transformers, 'utils', None), 'logging', None)
    if quiet is not None and hasattr(quiet, 'disable_progress_bar'):
        quiet.disable_progress_bar()
    o, gen = msg['options'], msg['generation']
    on_cuda = torch.cuda.is_available()
    device = 'cuda:0' if on_cuda else 'cpu'  # the first GPU of CUDA_VISIBLE_DEVICES, which llem sets per slot
    wanted = o.get('dtype') or (('bfloat16' if torch.cuda.is_bf16_supported() else 'float16') if on_cuda else 'float32')
    rss0 = proc_status_kb('VmRSS') or 0
    try:
        model, tok, path = build_model(torch, transformers, msg['model'], o, getattr(torch, wanted), device, gen['seed'])
    except Exception as e:
        if is_oom(torch, e):
            raise WorkerError('oom', str(e)) from e
        if unsupported_dtype(e):
            raise WorkerError('dtype_unsupported', first_line(e), dtype=wanted, device=device, torch=torch.__version__) from e
        raise
    model.eval()
    if o.get('torchCompile'):
        model.forward = torch.compile(model.forward)
    tok.padding_side = o['paddingSide']
    if getattr(tok, 'pad_token_id', None) is None and getattr(tok, 'eos_token', None) is not None:
        tok.pad_token = tok.eos_token  # the usual choice for decoder-only models that ship no pad token
    if o['batchSize'] > 1 and getattr(tok, 'pad_token_id', None) is None:
        raise WorkerError('bad_option', 'batchSize > 1 needs padding, and the tokenizer has neither a pad nor an eos token')
    eos: set = set()
    for src in (getattr(getattr(model, 'generation_config', None), 'eos_token_id', None), getattr(tok, 'eos_token_id', None)):
        eos.update(src if isinstance(src, (list, tuple)) else [] if src is None else [src])
    devices = cuda_devices(torch)
    model_mb = sum(torch.cuda.memory_allocated(i) for i in devices) / 2**20 if on_cuda else ((proc_status_kb('VmRSS') or 0) - rss0) / 1024
    loaded = {
        'versions': {
            'python': platform.python_version(),
            'torch': torch.__version__,
            'transformers': transformers.__version__,
            'cuda': getattr(torch.version, 'cuda', None),
            'devices': [torch.cuda.get_device_name(i) for i in devices],
            'cuda_visible_devices': os.environ.get('CUDA_VISIBLE_DEVICES'),
        },
        'model': describe(model, path, wanted),
        'settings': {
            'device': str(getattr(model, 'device', device)),
            'dtype': wanted,
            'dtype_kwarg': dtype_kwarg(transformers),
            'pad_token_id': tok.pad_token_id,
            'eos_token_ids': sorted(eos),
            'byte_tokenizer': isinstance(tok, ByteTokenizer),
        },
        'memory': {'model_mb': model_mb, 'source': 'torch.cuda.memory_allocated (worker)' if on_cuda else 'worker process RSS growth (/proc/self/status)'},
    }
    return {
        'torch': torch,
        'model': model,
        'tokenizer': tok,
        'generation': gen,
        'pad_id': tok.pad_token_id,
        'eos_ids': eos,
        'input_device': getattr(model, 'device', device),
        'on_cuda': on_cuda,
        'model_mb': model_mb,
        'dtype': wanted,
        'device': device,
        'loaded': loaded,
    }
