"""The per-step stamps on the real stack: one per generated token, in order, inside generate(), and
inside a wall clock read around the batch by this test; token counts as the tokenizer and the caps say."""

from __future__ import annotations

import time

import worker
from conftest import load, tokens_of


def test_step_clock_keeps_the_prompt_call_apart_from_the_steps() -> None:
    clock = worker.StepClock()
    clock.put('prompt ids')
    clock.put('step 1')
    clock.put('step 2')
    clock.end()
    assert clock.prompt_ns is not None and clock.end_ns is not None
    assert len(clock.steps) == 2
    assert clock.prompt_ns <= clock.steps[0] <= clock.steps[1] <= clock.end_ns


def test_one_stamp_per_step_inside_generate_and_inside_a_wall_clock(tiny_dir: str) -> None:
    state = load(tiny_dir)
    worker.run_batch(state, {'prompts': ['warm up'], 'max_tokens': [4]})
    n = 48
    t0 = time.perf_counter_ns()
    out = worker.run_batch(state, {'prompts': ['Hello there'], 'max_tokens': [n]})
    t1 = time.perf_counter_ns()
    steps = out['steps']
    assert out['rows'] == [{'input': tokens_of('Hello there'), 'output': n, 'finish': 'length'}]
    assert len(steps) == n
    g0, g1 = out['gen_ns']
    assert t0 <= g0 < steps[0] and steps[-1] <= g1 <= t1
    assert all(b > a for a, b in zip(steps, steps[1:]))
    # the steps fill the wall clock: their ITLs add up to most of it (prefill and setup are the rest)
    itl_sum = steps[-1] - steps[0]
    assert itl_sum > 0.5 * (t1 - t0)


def test_a_batch_pads_to_its_longest_prompt_and_each_row_stops_at_its_own_cap(tiny_dir: str) -> None:
    state = load(tiny_dir)
    prompts, caps = ['a', 'abc', 'héllo'], [2, 5, 3]
    out = worker.run_batch(state, {'prompts': prompts, 'max_tokens': caps})
    width = max(tokens_of(p) for p in prompts)
    assert [r['input'] for r in out['rows']] == [tokens_of(p) for p in prompts]
    assert [r['output'] for r in out['rows']] == caps
    assert len(out['steps']) == max(caps)  # the batch runs until its longest row is done
    assert out['slots'] == width * len(prompts)
    assert out['pads'] == sum(width - tokens_of(p) for p in prompts)


def test_eos_ends_a_row_unless_held_back(eos_dir: str) -> None:
    free = load(eos_dir, ignore_eos=False)
    assert worker.run_batch(free, {'prompts': ['stop'], 'max_tokens': [6]})['rows'] == [{'input': tokens_of('stop'), 'output': 0, 'finish': 'stop'}]
    held = load(eos_dir, ignore_eos=True)
    assert worker.run_batch(held, {'prompts': ['stop'], 'max_tokens': [6]})['rows'] == [{'input': tokens_of('stop'), 'output': 6, 'finish': 'length'}]
