"""ML.ENERGY's data toolkit (mlenergy-data) loading a Benchmark V3 raw-results tree (llem's mlenergy
reporter writes one with `layout: 'v3'`).

Run by test/fixtures/peers/mlenergy-data.ts in the `peers` env (requirements/peers.txt):

  mlenergy_data_check.py <root>

LLMRuns.from_raw_results(root, stable_only=False) parses every results.json under root with the
toolkit's own path parser, reads its prometheus.json and the configs/vllm model_info.json and
monolithic.config.yaml, and computes its stability rule. Prints one JSON document: the toolkit's
version, every run it built (its dataclass fields) and every warning it logged (a file it could not
build a row from is logged and dropped, not raised).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import json
import logging
import sys
from typing import Any

runs_mod: Any = importlib.import_module('mlenergy.data.records.runs')


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f': {record.exc_info[1]!r}'
        self.lines.append(text)


def main(root: str) -> None:
    collect = Collect()
    logging.getLogger('mlenergy').addHandler(collect)
    logging.getLogger('mlenergy_data').addHandler(collect)
    # one worker: rows are built in this process, so its log reaches the handler
    runs = runs_mod.LLMRuns.from_raw_results(root, stable_only=False, n_workers=1)
    rows = [{k: v for k, v in dataclasses.asdict(r).items() if not k.startswith('_')} for r in runs]
    out = {'mlenergy_data': importlib.metadata.version('mlenergy-data'), 'runs': rows, 'warnings': collect.lines}
    print(json.dumps(out, default=str))


if __name__ == '__main__':
    main(sys.argv[1])
