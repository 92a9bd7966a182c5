"""llem's transformers worker.

llem starts this file with the interpreter the user chose and speaks to it in JSON lines: one command
per line on stdin, one reply per line on stdout, each reply carrying the command's id. The first line
the worker writes is a hello with PROTOCOL, so llem can refuse a worker from another release before
anything else happens. stdout carries only the protocol: whatever Python code or native libraries
print goes to stderr, which llem keeps in the experiment's log.

Timing: a streamer stamps every decoding step with time.perf_counter_ns() (CLOCK_MONOTONIC on Linux);
the stamps of a whole batch travel in its one reply, so the protocol adds nothing per token. llem
converts them to its own clock with the offset it measured at the handshake (the ping command).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import traceback
from typing import Any

PROTOCOL = 1


class StepClock:
    """Duck-typed like transformers' BaseStreamer: generate() calls put() once with the prompt ids, then
    once per decoding step with that step's new ids, then end(). Only the time of each call is kept:
    reading the ids here would add a device-to-host copy per step that generate() does not already do."""

    def __init__(self) -> None:
        self.prompt_ns: int | None = None
        self.steps: list[int] = []
        self.end_ns: int | None = None

    def put(self, value: Any) -> None:
        now = time.perf_counter_ns()
        if self.prompt_ns is None:
            self.prompt_ns = now
        else:
            self.steps.append(now)

    def end(self) -> None:
        self.end_ns = time.perf_counter_ns()


def run_batch(state: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
    """One batch: left-padded prompts, one generate() call, per-row token counts that stop at EOS."""
    torch, model, tok = state['torch'], state['model'], state['tokenizer']
    prompts, caps = msg['prompts'], msg['max_tokens']
    gen = state['generation']
    enc = tok(prompts, padding=True, return_tensors='pt')
    mask_rows = enc['attention_mask'].tolist()
    width = len(mask_rows[0])
    inputs = [sum(r) for r in mask_rows]
    max_new = max(caps)
    # generate() fills every setting it is not given from the model's generation_config.json (top_k 50
    # by default, a repetition penalty some models ship, applied to greedy decoding too): each one that
    # changes the tokens is stated, so the result's settings are the ones used (0 / 1.0 / None = off)
    kwargs: dict[str, Any] = {'max_new_tokens': max_new, 'do_sample': gen['do_sample'], 'repetition_penalty': 1.0}
    if gen['do_sample']:
        kwargs['temperature'] = gen['temperature']
        kwargs['top_p'] = 1.0 if gen.get('top_p') is None else gen['top_p']
        kwargs['top_k'] = 0 if gen.get('top_k') is None else gen['top_k']
        kwargs['min_p'] = None
    if gen['ignore_eos']:
        # EOS is suppressed until this many tokens exist: every row then runs to its cap
        kwargs['min_new_tokens'] = max_new
    if state['pad_id'] is not None:
        kwargs['pad_token_id'] = state['pad_id']
    clock = StepClock()
    device = state['input_device']
    t0 = time.perf_counter_ns()
    with torch.no_grad():
        out = model.generate(input_ids=enc['input_ids'].to(device), attention_mask=enc['attention_mask'].to(device), streamer=clock, **kwargs)
    t1 = time.perf_counter_ns()
    rows = []
    eos = state['eos_ids']
    for i, seq in enumerate(out.tolist()):
        generated = seq[width : width + caps[i]]
        count, finish = len(generated), 'length'
        if not gen['ignore_eos']:
            # after its EOS a finished row is filled with padding until the batch ends: none of it counts
            for j, t in enumerate(generated):
                if t in eos:
                    count, finish = j, 'stop'
                    break
        rows.append({'input': inputs[i], 'output': count, 'finish': finish})
    slots = width * len(prompts)
    return {'rows': rows, 'steps': clock.steps, 'gen_ns': [t0, t1], 'slots': slots, 'pads': slots - sum(inputs)}


def handle(state: dict[str, Any], msg: dict[str, Any], llem_model: Any) -> dict[str, Any]:
    kind = msg.get('t')
    if kind == 'ping':
        return {'ns': time.perf_counter_ns()}
    if kind == 'load':
        state.update(llem_model.load(msg))
        return state['loaded']
    if 'model' not in state:
        raise llem_model.WorkerError('protocol', f'"{kind}" before "load"')
    if kind == 'generate':
        try:
            return run_batch(state, msg)
        except Exception as e:
            if llem_model.is_oom(state['torch'], e):
                llem_model.free_cache(state['torch'])
                raise llem_model.WorkerError('oom', str(e)) from e
            if llem_model.unsupported_dtype(e):
                # no kernel for this dtype on this device: every later batch would fail the same way
                raise llem_model.WorkerError(
                    'dtype_unsupported', llem_model.first_line(e), dtype=state['dtype'], device=state['device'], torch=state['torch'].__version__
                ) from e
            raise
    if kind == 'tokenize':
        return {'ids': list(state['tokenizer'](msg['text'])['input_ids'])}
    if kind == 'detokenize':
        return {'text': state['tokenizer'].decode(msg['ids'], skip_special_tokens=True)}
    if kind == 'window':
        llem_model.reset_peak(state)
        return {}
    if kind == 'stats':
        return llem_model.memory(state)
    raise llem_model.WorkerError('protocol', f'unknown command "{kind}"')


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this worker when the process that started it dies
    (prctl PR_SET_PDEATHSIG). A kill -9 of llem must not leave a worker behind holding a model and
    its GPU memory; a closed stdin would end it only at its next read, after the step it is in."""
    if not sys.platform.startswith('linux'):
        return
    import ctypes
    import signal

    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def main() -> None:
    die_with_parent()
    # fd 1 stays the protocol channel; Python's stdout and anything a native library writes to fd 1
    # go to stderr instead, so a stray print can never corrupt a reply
    proto = os.fdopen(os.dup(1), 'wb', buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import llem_model

    def send(obj: dict[str, Any]) -> None:
        proto.write((json.dumps(obj, separators=(',', ':')) + '\n').encode())

    send({'t': 'hello', 'protocol': PROTOCOL, 'python': platform.python_version(), 'executable': sys.executable, 'pid': os.getpid()})
    state: dict[str, Any] = {}
    for raw in sys.stdin.buffer:
        msg = json.loads(raw)
        if msg.get('t') == 'shutdown':
            break
        try:
            reply = handle(state, msg, llem_model)
            reply['id'] = msg['id']
            reply['ok'] = True
        except Exception as e:  # every failure is answered: llem decides what it means
            code = e.code if isinstance(e, llem_model.WorkerError) else 'error'
            if code == 'error':
                traceback.print_exc()
            reply = {
                'id': msg.get('id'),
                'ok': False,
                'code': code,
                'message': str(e) or type(e).__name__,
                'error_type': type(e).__name__,
                **getattr(e, 'extra', {}),
            }
        send(reply)


if __name__ == '__main__':
    main()
