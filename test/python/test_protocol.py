"""The worker as llem runs it: a child process speaking JSON lines. The hello comes first; every reply
carries its command's id; errors are replies, not crashes; and stdout carries nothing but the protocol,
whatever Python code or native libraries write to it."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import threading
import time
from typing import IO, Any

from conftest import WORKER_DIR, tokens_of

WORKER = str(WORKER_DIR / 'worker.py')


class Worker:
    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # a test that goes wrong must not hang on a read: kill the worker after a generous minute
        self.timer = threading.Timer(60, self.proc.kill)
        self.timer.start()

    def line(self) -> dict[str, Any]:
        out: IO[str] = self.proc.stdout  # type: ignore[assignment]
        return json.loads(out.readline())

    def send(self, msg: dict[str, Any]) -> dict[str, Any]:
        stdin: IO[str] = self.proc.stdin  # type: ignore[assignment]
        stdin.write(json.dumps(msg) + '\n')
        stdin.flush()
        return self.line()

    def close(self) -> int:
        stdin: IO[str] = self.proc.stdin  # type: ignore[assignment]
        stdin.write(json.dumps({'t': 'shutdown'}) + '\n')
        stdin.close()
        code = self.proc.wait()
        self.timer.cancel()
        return code


def test_hello_first_then_replies_with_ids_and_a_clock_shared_with_this_process() -> None:
    w = Worker([sys.executable, '-u', WORKER])
    hello = w.line()
    assert hello == {'t': 'hello', 'protocol': 1, 'python': platform.python_version(), 'executable': sys.executable, 'pid': w.proc.pid}
    before = time.perf_counter_ns()
    pong = w.send({'t': 'ping', 'id': 7})
    after = time.perf_counter_ns()
    assert pong['id'] == 7 and pong['ok'] is True
    # perf_counter_ns is CLOCK_MONOTONIC on Linux, one clock for every process: the stamp lies between
    assert before <= pong['ns'] <= after
    assert w.close() == 0


def test_errors_are_replies_and_the_worker_keeps_serving(tiny_dir: str) -> None:
    w = Worker([sys.executable, '-u', WORKER])
    w.line()
    early = w.send({'t': 'generate', 'id': 1, 'prompts': ['x'], 'max_tokens': [1]})
    assert early == {'id': 1, 'ok': False, 'code': 'protocol', 'message': '"generate" before "load"', 'error_type': 'WorkerError'}
    missing = w.send({**load_cmd('/nonexistent/llem-model'), 'id': 2})
    assert missing['ok'] is False and missing['code'] == 'model_not_found' and missing['id'] == 2
    loaded = w.send({**load_cmd(tiny_dir), 'id': 3})
    assert loaded['ok'] is True and loaded['model']['path'] == tiny_dir
    unknown = w.send({'t': 'nonesuch', 'id': 4})
    assert unknown == {'id': 4, 'ok': False, 'code': 'protocol', 'message': 'unknown command "nonesuch"', 'error_type': 'WorkerError'}
    out = w.send({'t': 'generate', 'id': 5, 'prompts': ['Hello', 'héllo wörld'], 'max_tokens': [3, 5]})
    assert [r['output'] for r in out['rows']] == [3, 5]
    assert [r['input'] for r in out['rows']] == [tokens_of('Hello'), tokens_of('héllo wörld')]
    assert w.close() == 0


def load_cmd(model_id: str) -> dict[str, Any]:
    from conftest import load_msg

    return load_msg(model_id)


# runs the worker's main() after starting a thread that, once the worker has taken fd 1 for the
# protocol, writes to fd 1 the way a native library would, and prints the way Python code would
NOISY = """
import os, runpy, sys, threading, time
def noise():
    while sys.stdout is not sys.stderr:
        time.sleep(0.001)
    os.write(1, b'native noise on fd 1\\n')
    print('python noise on stdout', flush=True)
threading.Thread(target=noise, daemon=True).start()
sys.argv = [WORKER]
runpy.run_path(WORKER, run_name='__main__')
"""


def test_stdout_carries_only_the_protocol() -> None:
    w = Worker([sys.executable, '-u', '-c', NOISY.replace('WORKER', repr(WORKER))])
    assert w.line()['t'] == 'hello'
    err: IO[str] = w.proc.stderr  # type: ignore[assignment]
    seen = [err.readline().strip() for _ in range(2)]
    assert sorted(seen) == ['native noise on fd 1', 'python noise on stdout']
    # the next line on stdout is the reply, not the noise
    assert w.send({'t': 'ping', 'id': 1})['ok'] is True
    assert w.close() == 0
