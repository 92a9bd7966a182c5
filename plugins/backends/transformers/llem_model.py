"""Loading and describing the model for llem's transformers worker (worker.py): the imports with a
precise error when one is missing, a pretrained or random-weight model, the tokenizer, and memory
figures from torch's CUDA allocator or the worker's own /proc entry."""
import os
import platform
import re


class WorkerError(Exception):
    """A failure llem turns into a one-line cause with a hint; `code` says which kind."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code = code
        self.extra = extra


def import_stack():
    """torch, then transformers; a missing one is named (a broken one keeps its own message)."""
    try:
        import torch
    except ImportError as e:
        if (getattr(e, 'name', None) or '').split('.')[0] == 'torch':
            raise WorkerError('missing_module', str(e), module='torch')
        raise WorkerError('broken_module', f'torch is installed but does not import: {e}', module='torch')
    try:
        import transformers
    except ImportError as e:
        if (getattr(e, 'name', None) or '').split('.')[0] == 'transformers':
            raise WorkerError('missing_module', str(e), module='transformers')
        raise WorkerError('broken_module', f'transformers is installed but does not import: {e}', module='transformers')
    return torch, transformers


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r'\d+', v)[:2])


class ByteTokenizer:
    """For random-weight models, which come without a tokenizer: UTF-8 bytes shifted past three special
    ids (pad 0, bos 1, eos 2, as Llama configs number them), called like a Hugging Face tokenizer."""

    pad_token_id, bos_token_id, eos_token_id = 0, 1, 2

    def __init__(self, torch, padding_side):
        self.torch = torch
        self.padding_side = padding_side

    def encode_one(self, text):
        return [self.bos_token_id] + [b + 3 for b in text.encode('utf-8')]

    def __call__(self, text, padding=False, return_tensors=None):
        if isinstance(text, str):
            ids = self.encode_one(text)
            return {'input_ids': ids, 'attention_mask': [1] * len(ids)}
        rows = [self.encode_one(t) for t in text]
        width = max(len(r) for r in rows)
        ids, mask = [], []
        for r in rows:
            pad = width - len(r)
            left = self.padding_side == 'left'
            ids.append([0] * pad + r if left else r + [0] * pad)
            mask.append([0] * pad + [1] * len(r) if left else [1] * len(r) + [0] * pad)
        return {'input_ids': self.torch.tensor(ids), 'attention_mask': self.torch.tensor(mask)}

    def decode(self, ids, skip_special_tokens=True):
        return bytes(i - 3 for i in ids if 3 <= i < 259).decode('utf-8', errors='replace')


def proc_status_kb(field):
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cuda_devices(torch):
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []


def memory(state):
    torch = state['torch']
    if state['on_cuda']:
        peak = sum(torch.cuda.max_memory_allocated(i) for i in cuda_devices(torch)) / 2**20
        return {'peak_mb': peak, 'model_mb': state['model_mb'], 'source': 'torch.cuda.max_memory_allocated (worker)'}
    hwm = proc_status_kb('VmHWM')
    return {'peak_mb': None if hwm is None else hwm / 1024, 'model_mb': state['model_mb'], 'source': 'worker process VmHWM (/proc/self/status)'}


def reset_peak(state):
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


def is_oom(torch, e):
    oom = getattr(torch.cuda, 'OutOfMemoryError', None)
    return (oom is not None and isinstance(e, oom)) or (isinstance(e, RuntimeError) and 'out of memory' in str(e).lower())


def free_cache(torch):
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def weights_mb(path):
    if not path or not os.path.isdir(path):
        return None
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files if f.endswith(('.safetensors', '.bin', '.pt', '.pth')))
    return total / 2**20


def describe(torch, model, path, dtype_name):
    cfg = model.config
    get = lambda *names: next((getattr(cfg, n) for n in names if getattr(cfg, n, None) is not None), None)
    layers, hidden, heads = get('num_hidden_layers', 'n_layer'), get('hidden_size', 'n_embd'), get('num_attention_heads', 'n_head')
    ff, vocab = get('intermediate_size'), get('vocab_size')
    shape = None
    # the FLOPs formula is a gated-FFN decoder's (Llama and kin): only those configs name intermediate_size
    if None not in (layers, hidden, heads, ff, vocab):
        shape = {'layers': layers, 'hidden': hidden, 'heads': heads, 'headsKv': get('num_key_value_heads') or heads, 'ff': ff, 'vocab': vocab, 'context': get('max_position_embeddings', 'n_positions') or 0}
    return {
        'name_or_path': getattr(model, 'name_or_path', None),
        'path': path,
        'parameters': sum(p.numel() for p in model.parameters()),
        'architecture': getattr(cfg, 'model_type', None),
        'shape': shape,
        'precision': dtype_name,
        'file_size_mb': weights_mb(path),
    }


def build_model(torch, transformers, spec, o, dtype, device, seed):
    """Returns (model, tokenizer, local path or None). Hub access and local_files_only are passed through."""
    tv = version_tuple(transformers.__version__)
    # transformers 4.56 renamed torch_dtype to dtype; older releases only know the first
    kwargs = {'dtype' if tv >= (4, 56) else 'torch_dtype': dtype}
    if o.get('attnImplementation'):
        kwargs['attn_implementation'] = o['attnImplementation']
    local = bool(o.get('localFilesOnly'))
    if spec['kind'] == 'random':
        if o.get('quantization'):
            raise WorkerError('bad_option', 'quantization needs pretrained weights; a random model has none to quantize')
        cfg = dict(spec['config'])
        config = transformers.AutoConfig.for_model(cfg.pop('model_type'), **cfg)
        torch.manual_seed(seed)
        target = o.get('deviceMap') if isinstance(o.get('deviceMap'), str) and o.get('deviceMap') != 'auto' else device
        # built where it will run: a 1B model initialised on the CPU and then moved would take minutes
        with torch.device(target):
            model = transformers.AutoModelForCausalLM.from_config(config, **kwargs)
        if o.get('tokenizer'):
            tok = transformers.AutoTokenizer.from_pretrained(o['tokenizer'], local_files_only=local)
        else:
            if (getattr(config, 'vocab_size', 0) or 0) < 259:
                raise WorkerError('bad_option', f'the built-in byte tokenizer needs vocab_size >= 259 (the config has {config.vocab_size}); raise it or set backend.tokenizer')
            tok = ByteTokenizer(torch, o['paddingSide'])
        return model, tok, None
    name = spec['id']
    if o.get('quantization'):
        try:
            import bitsandbytes  # noqa: F401  (only to fail here, with a clear message)
        except ImportError as e:
            raise WorkerError('missing_module', str(e), module='bitsandbytes')
        bits = o['quantization']
        kwargs['quantization_config'] = transformers.BitsAndBytesConfig(load_in_4bit=bits == '4bit', load_in_8bit=bits == '8bit')
    if o.get('deviceMap') is not None:
        kwargs['device_map'] = o['deviceMap']
    elif o.get('quantization'):
        kwargs['device_map'] = device
    torch.manual_seed(seed)
    try:
        tok = transformers.AutoTokenizer.from_pretrained(o.get('tokenizer') or name, local_files_only=local)
        model = transformers.AutoModelForCausalLM.from_pretrained(name, local_files_only=local, **kwargs)
    except OSError as e:  # transformers reports a missing repo, file or cache entry as OSError
        raise WorkerError('model_not_found', str(e))
    if 'device_map' not in kwargs:
        model = model.to(device)
    return model, tok, name if os.path.isdir(name) else None


def load(msg):
    torch, transformers = import_stack()
    o, gen = msg['options'], msg['generation']
    on_cuda = torch.cuda.is_available()
    device = 'cuda:0' if on_cuda else 'cpu'  # the first GPU of CUDA_VISIBLE_DEVICES, which llem sets per slot
    dtype_name = o.get('dtype') or (('bfloat16' if torch.cuda.is_bf16_supported() else 'float16') if on_cuda else 'float32')
    rss0 = proc_status_kb('VmRSS') or 0
    try:
        model, tok, path = build_model(torch, transformers, msg['model'], o, getattr(torch, dtype_name), device, gen['seed'])
    except Exception as e:
        if is_oom(torch, e):
            raise WorkerError('oom', str(e))
        raise
    model.eval()
    if o.get('torchCompile'):
        model.forward = torch.compile(model.forward)
    tok.padding_side = o['paddingSide']
    if getattr(tok, 'pad_token_id', None) is None and getattr(tok, 'eos_token', None) is not None:
        tok.pad_token = tok.eos_token  # the usual choice for decoder-only models that ship no pad token
    if o['batchSize'] > 1 and getattr(tok, 'pad_token_id', None) is None:
        raise WorkerError('bad_option', 'batchSize > 1 needs padding, and the tokenizer has neither a pad nor an eos token')
    eos = set()
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
        'model': describe(torch, model, path, dtype_name),
        'settings': {'device': str(getattr(model, 'device', device)), 'dtype': dtype_name, 'pad_token_id': tok.pad_token_id, 'eos_token_ids': sorted(eos), 'byte_tokenizer': isinstance(tok, ByteTokenizer)},
        'memory': {'model_mb': model_mb, 'source': 'torch.cuda.memory_allocated (worker)' if on_cuda else 'worker process RSS growth (/proc/self/status)'},
    }
    return {
        'torch': torch, 'model': model, 'tokenizer': tok, 'generation': gen, 'pad_id': tok.pad_token_id, 'eos_ids': eos,
        'input_device': getattr(model, 'device', device), 'on_cuda': on_cuda, 'model_mb': model_mb, 'loaded': loaded,
    }
