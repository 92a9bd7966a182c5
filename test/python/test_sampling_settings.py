"""generate() fills each setting it is not given from the model's generation_config.json, so the worker
states every one that changes the tokens: a model that ships a repetition penalty, top_k and top_p does
not get them behind a result that says greedy (or top_k 0 and top_p 1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import llem_model
import worker
from conftest import load_msg


def _spied(tiny_dir: str, generation: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    msg = load_msg(tiny_dir)
    msg['generation'] = {**msg['generation'], **generation}
    state = llem_model.load(msg)
    model = state['model']
    # what a model's own generation_config.json may ask for
    model.generation_config.repetition_penalty = 1.3
    model.generation_config.top_k = 5
    model.generation_config.top_p = 0.5
    model.generation_config.min_p = 0.2
    calls: list[dict[str, Any]] = []
    real = model.generate

    def generate(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    model.generate = generate
    return state, calls


def _greedy(state: dict[str, Any], prompt: str, n: int, **kwargs: Any) -> list[int]:
    tok, torch = state['tokenizer'], state['torch']
    enc = tok([prompt], return_tensors='pt')
    with torch.no_grad():
        ids, mask = enc['input_ids'], enc['attention_mask']
        length = {'max_new_tokens': n, 'min_new_tokens': n}
        out = state['model'].generate(input_ids=ids, attention_mask=mask, **length, do_sample=False, pad_token_id=state['pad_id'], **kwargs)
    return [int(t) for t in out[0].tolist()[enc['input_ids'].shape[1] :]]


def test_greedy_tokens_are_the_plain_models_not_the_penalised_ones_a_model_ships(tiny_dir: str, tmp_path: Path) -> None:
    """The tokens themselves: the same weights with a generation_config.json that ships a strong
    repetition penalty give, through the worker, the tokens the plain model gives, and different ones
    through generate() left to the shipped config (the precondition that makes this test able to fail:
    the tiny model's greedy text repeats itself, which the penalty forbids)."""
    shipped = tmp_path / 'penalised'
    shutil.copytree(tiny_dir, shipped)
    config = json.loads((shipped / 'generation_config.json').read_text())
    # a model's own file, not one derived from config.json (transformers 4.x rebuilds those)
    config.pop('_from_model_config', None)
    (shipped / 'generation_config.json').write_text(json.dumps({**config, 'repetition_penalty': 5.0}))
    plain = _greedy(llem_model.load(load_msg(tiny_dir)), 'Hello there', 16)
    state = llem_model.load(load_msg(str(shipped)))
    assert _greedy(state, 'Hello there', 16) != plain
    outputs: list[list[int]] = []
    real = state['model'].generate

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        outputs.append([int(t) for t in out[0].tolist()[kwargs['input_ids'].shape[1] :]])
        return out

    state['model'].generate = spy
    worker.run_batch(state, {'prompts': ['Hello there'], 'max_tokens': [16]})
    assert outputs[0] == plain


def test_greedy_decoding_is_given_no_repetition_penalty(tiny_dir: str) -> None:
    state, calls = _spied(tiny_dir, {})
    worker.run_batch(state, {'prompts': ['Hello'], 'max_tokens': [3]})
    assert calls[0]['do_sample'] is False
    assert calls[0]['repetition_penalty'] == 1.0
    assert 'top_k' not in calls[0] and 'top_p' not in calls[0]


def test_sampling_states_top_k_top_p_and_min_p_even_when_off(tiny_dir: str) -> None:
    state, calls = _spied(tiny_dir, {'do_sample': True, 'temperature': 0.7, 'top_p': 1, 'top_k': 0})
    worker.run_batch(state, {'prompts': ['Hello'], 'max_tokens': [3]})
    assert {k: calls[0][k] for k in ('do_sample', 'temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty')} == {
        'do_sample': True,
        'temperature': 0.7,
        'top_k': 0,
        'top_p': 1,
        'min_p': None,
        'repetition_penalty': 1.0,
    }


def test_a_set_top_k_and_top_p_reach_generate(tiny_dir: str) -> None:
    state, calls = _spied(tiny_dir, {'do_sample': True, 'temperature': 1.0, 'top_p': 0.9, 'top_k': 40})
    worker.run_batch(state, {'prompts': ['Hello'], 'max_tokens': [2]})
    assert (calls[0]['top_k'], calls[0]['top_p']) == (40, 0.9)
