"""Parse `vllm serve` command lines with vLLM's own CLI, without serving.

Reads a JSON list of argument lists (each without the leading `vllm`) on stdin. For each, it runs
vLLM's CLI entry point (vllm.entrypoints.cli.main.main: the same parser, subcommands and the serve
command's own validation that `vllm serve` uses) with the serve command's action replaced by one that
records the parsed namespace, then builds vLLM's AsyncEngineArgs from it as `vllm serve` would. Prints
one line per list: LLEM-RESULT {"ok": ..., "error": ..., "args": {...}}.

vLLM builds its parser from config classes whose defaults need a platform; on a machine without a GPU
no platform is detected, so the CPU platform is set first, as vLLM's own `vllm bench` does. That only
changes defaults (the device), not which flags exist or how they parse.
"""

import argparse
import contextlib
import io
import json
import sys
from typing import Any


def scalar(v: object) -> bool:
    return isinstance(v, (str, int, float, bool, type(None)))


def main() -> None:
    from vllm import platforms
    from vllm.platforms.cpu import CpuPlatform

    platforms.current_platform = CpuPlatform()
    import vllm.entrypoints.cli.serve as serve
    from vllm.engine.arg_utils import AsyncEngineArgs
    from vllm.entrypoints.cli import main as cli_main

    parsed: dict[str, Any] = {}

    def record(args: argparse.Namespace) -> None:
        # the first thing vLLM's own serve command does: the positional model wins over --model
        if getattr(args, 'model_tag', None) is not None:
            args.model = args.model_tag
        parsed.update(vars(args))

    serve.ServeSubcommand.cmd = staticmethod(record)
    out = sys.stdout
    for argv in json.load(sys.stdin):
        parsed.clear()
        err = io.StringIO()
        result: dict[str, Any] = {'ok': True, 'error': None, 'args': {}}
        sys.argv = ['vllm', *argv]
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(sys.stderr):
                cli_main.main()
                AsyncEngineArgs.from_cli_args(argparse.Namespace(**parsed))
        except SystemExit as e:
            lines = [ln for ln in err.getvalue().splitlines() if 'error:' in ln]
            result = {'ok': False, 'error': lines[-1] if lines else f'exit {e.code}', 'args': {}}
        except Exception as e:  # any other refusal (a validation error) is reported with its type
            result = {'ok': False, 'error': f'{type(e).__name__}: {e}', 'args': {}}
        if result['ok']:
            result['args'] = {k: v for k, v in parsed.items() if scalar(v) or (isinstance(v, list) and all(scalar(x) for x in v))}
        out.write('LLEM-RESULT ' + json.dumps(result) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
