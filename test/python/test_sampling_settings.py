"""generate() fills each setting it is not given from the model's generation_config.json, so the worker
states every one that changes the tokens: a model that ships a repetition penalty, top_k and top_p does
not get them behind a result that says greedy (or top_k 0 and top_p 1)."""

from __future__ import annotations

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
