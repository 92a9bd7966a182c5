"""Each failure the worker can name, on the real stack where it can be produced here: the code and the
fields llem's message is built from (worker-errors.ts)."""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import llem_model
import pytest
import torch
import worker
from conftest import load
from llem_model import WorkerError


def raised(f: Any, *args: Any, **kwargs: Any) -> WorkerError:
    with pytest.raises(WorkerError) as info:
        f(*args, **kwargs)
    return info.value


def test_a_transformers_older_than_supported_is_refused_before_import(monkeypatch: pytest.MonkeyPatch) -> None:
    real = llem_model.metadata.version
    monkeypatch.setattr(llem_model.metadata, 'version', lambda name: '4.35.2' if name == 'transformers' else real(name))
    e = raised(llem_model.import_stack)
    assert (e.code, e.extra) == ('old_module', {'module': 'transformers', 'version': '4.35.2', 'minimum': '4.36'})


def test_versions_compare_by_major_and_minor() -> None:
    assert llem_model.version_tuple('4.36.0') == (4, 36)
    assert llem_model.version_tuple('5.25.0.dev0') == (5, 25)
    assert llem_model.version_tuple('4.9.1') < llem_model.MIN_TRANSFORMERS <= llem_model.version_tuple('4.36.2')


def test_a_folder_that_is_not_there(tmp_path: Any) -> None:
    e = raised(load, str(tmp_path / 'not-there'))
    assert e.code == 'model_not_found'


def test_configs_transformers_cannot_build(tmp_path: Any) -> None:
    unknown = tmp_path / 'unknown'
    unknown.mkdir()
    (unknown / 'config.json').write_text(json.dumps({'model_type': 'nonesuch'}))
    e = raised(load, str(unknown))
    assert e.code == 'bad_config' and e.extra['model_type'] == 'nonesuch'
    assert str(e).startswith(f'{unknown}/config.json: model_type "nonesuch" is not an architecture transformers ')
    broken = tmp_path / 'broken'
    broken.mkdir()
    (broken / 'config.json').write_text('{"model_type": "llama",')
    e = raised(load, str(broken))
    assert e.code == 'bad_config' and 'config.json' in str(e)


def test_flash_attention_without_the_package(tiny_dir: str) -> None:
    assert importlib.util.find_spec('flash_attn') is None
    e = raised(load, tiny_dir, True, attnImplementation='flash_attention_2')
    assert (e.code, e.extra) == ('missing_module', {'module': 'flash_attn'})


def test_float16_on_the_cpu_runs_or_is_named(tiny_dir: str) -> None:
    # the oracle is torch itself: can it multiply float16 matrices on this CPU?
    try:
        torch.ones(2, 2, dtype=torch.float16) @ torch.ones(2, 2, dtype=torch.float16)
        can = True
    except RuntimeError:
        can = False
    state = load(tiny_dir, True, dtype='float16')
    msg = {'t': 'generate', 'prompts': ['Hello'], 'max_tokens': [3]}
    if can:
        assert [r['output'] for r in worker.handle(state, msg, llem_model)['rows']] == [3]
    else:
        e = raised(worker.handle, state, msg, llem_model)
        assert e.code == 'dtype_unsupported'
        assert e.extra == {'dtype': 'float16', 'device': 'cpu', 'torch': torch.__version__}
        assert "not implemented for 'Half'" in str(e)


def test_which_errors_count_as_out_of_memory_or_a_missing_kernel() -> None:
    assert llem_model.is_oom(torch, torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB'))
    assert llem_model.is_oom(torch, RuntimeError('CUDA error: out of memory'))
    assert not llem_model.is_oom(torch, ValueError('out of memory'))
    assert llem_model.unsupported_dtype(RuntimeError('"addmm_impl_cpu_" not implemented for \'Half\'')) == 'Half'
    assert llem_model.unsupported_dtype(RuntimeError('"LayerNormKernelImpl" not implemented for \'BFloat16\'')) == 'BFloat16'
    assert llem_model.unsupported_dtype(RuntimeError('size mismatch')) is None


def test_random_configs_and_the_byte_tokenizer() -> None:
    msg = {
        't': 'load',
        'model': {'kind': 'random', 'config': {'model_type': 'nonesuch'}, 'name': 'random:nonesuch'},
        'options': {'paddingSide': 'left', 'batchSize': 1},
        'generation': {'do_sample': False, 'temperature': 0, 'top_p': None, 'top_k': None, 'ignore_eos': True, 'seed': 0},
    }
    e = raised(llem_model.load, msg)
    assert e.code == 'bad_config' and str(e).startswith('model.random: model_type "nonesuch" is not an architecture')
    small = {'model_type': 'llama', 'vocab_size': 100, 'hidden_size': 32, 'intermediate_size': 64, 'num_hidden_layers': 1, 'num_attention_heads': 2}
    assert raised(llem_model.load, {**msg, 'model': {'kind': 'random', 'config': small, 'name': 'random:small'}}).code == 'bad_option'
    tok = llem_model.ByteTokenizer(torch, 'left')
    enc = tok(['a', 'héllo'], padding=True, return_tensors='pt')
    assert enc['attention_mask'].tolist() == [[0, 0, 0, 0, 0, 1, 1], [1] * 7]
    assert tok.decode(tok('héllo')['input_ids']) == 'héllo'


def test_no_hub_is_reached() -> None:
    assert os.environ['HF_HUB_OFFLINE'] == '1'
