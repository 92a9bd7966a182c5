"""pytest setup for the transformers worker's own tests: the worker's folder on sys.path (worker.py and
llem_model.py are imported as modules), no hub, one thread, and tiny random-weight models saved by this
interpreter's own transformers (tiny_model.py) once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKER_DIR = REPO / 'plugins' / 'backends' / 'transformers'
sys.path.insert(0, str(WORKER_DIR))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ['HF_HUB_OFFLINE'] = '1'
os.environ.setdefault('OMP_NUM_THREADS', '1')

import llem_model  # noqa: E402  (found through the path set above)
import tiny_model  # noqa: E402


@pytest.fixture(scope='session')
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = str(tmp_path_factory.mktemp('tiny'))
    tiny_model.build(out, hidden=64, layers=2, eos_always=False, seed=0)
    return out


@pytest.fixture(scope='session')
def eos_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = str(tmp_path_factory.mktemp('eos'))
    tiny_model.build(out, hidden=64, layers=2, eos_always=True, seed=0)
    return out


def load_msg(model_id: str, ignore_eos: bool = True, **options: Any) -> dict[str, Any]:
    """A `load` command as llem's TypeScript side sends it (index.ts)."""
    return {
        't': 'load',
        'model': {'kind': 'pretrained', 'id': model_id, 'name': os.path.basename(model_id)},
        'options': {'paddingSide': 'left', 'batchSize': 4, 'localFilesOnly': False, 'torchCompile': False, **options},
        'generation': {'do_sample': False, 'temperature': 0, 'top_p': 1, 'top_k': 0, 'ignore_eos': ignore_eos, 'seed': 0},
    }


def load(model_id: str, ignore_eos: bool = True, **options: Any) -> dict[str, Any]:
    return llem_model.load(load_msg(model_id, ignore_eos, **options))


def tokens_of(prompt: str) -> int:
    """What the test tokenizer makes of a prompt: BOS, then one token per UTF-8 byte."""
    return len(prompt.encode('utf-8')) + 1
