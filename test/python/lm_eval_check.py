"""lm-eval's own code reading an lm-eval-style output folder (llem's lm-eval reporter writes one).

Run by test/fixtures/peers/lm-eval.ts in the `peers` env (requirements/peers.txt):

  lm_eval_check.py <output folder>                 (HF_HOME set to a scratch dir, HF_HUB_OFFLINE=1)
  lm_eval_check.py --reference <empty folder>     the same, on a folder lm-eval's own tracker writes first

1. lm_eval.utils picks the folder's files apart as the evaluation tracker does: get_results_filenames
   and get_sample_results_filenames over every file (as a hub listing gives them, relative paths),
   get_file_task_name, get_file_datetime, get_latest_filename.
2. EvaluationTracker.recreate_metadata_card, the code that globs a results repository's results_*.json
   and samples_*.jsonl and loads the latest results file with datasets.load_dataset, runs against the
   folder: the hub listing, the file URL and the card's upload are replaced by the local folder and a
   capture, nothing else (no network).
3. datasets.load_dataset('json') on every results and samples file, the way the card tells readers
   to load them.

Prints one JSON document; any exception from lm-eval's code ends the script non-zero with its traceback.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import sys
from pathlib import Path
from typing import Any

# imported by name: the env that type-checks the repo's Python (tf5) has none of these packages
utils: Any = importlib.import_module('lm_eval.utils')
tracker_mod: Any = importlib.import_module('lm_eval.loggers.evaluation_tracker')
hub: Any = importlib.import_module('huggingface_hub')
datasets: Any = importlib.import_module('datasets')


class LocalRepo:
    """What recreate_metadata_card asks of HfApi: the repository's file list, here the folder's."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def list_repo_files(self, repo_id: str, repo_type: str) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob('*') if p.is_file())


def card(root: Path) -> dict[str, Any]:
    captured: dict[str, Any] = {}
    tracker = tracker_mod.EvaluationTracker(output_path=str(root), hub_results_org='local', details_repo_name='llem')
    tracker.api = LocalRepo(root)
    tracker.general_config_tracker.model_name = 'llem'
    tracker.general_config_tracker.model_source = 'llem'

    def push_to_hub(self: Any, repo_id: str, **kwargs: Any) -> None:
        captured['text'] = str(self)
        captured['repo_id'] = repo_id

    saved_url, saved_push = hub.hf_hub_url, hub.DatasetCard.push_to_hub
    hub.hf_hub_url = lambda repo_id, filename, repo_type: str(root / filename)
    hub.DatasetCard.push_to_hub = push_to_hub
    try:
        tracker.recreate_metadata_card()
    finally:
        hub.hf_hub_url, hub.DatasetCard.push_to_hub = saved_url, saved_push
    meta = hub.DatasetCard(captured['text']).data.to_dict()
    return {'configs': {c['config_name']: c['data_files'] for c in meta.get('configs', [])}, 'summary': meta.get('dataset_summary', '')}


def rows(path: Path) -> int | dict[str, str]:
    try:
        return int(datasets.load_dataset('json', data_files=str(path), split='train').num_rows)
    except Exception as e:
        return {'error': f'{type(e).__name__}: {e}'}


def reference(root: Path) -> None:
    """A folder lm-eval writes itself (its tracker's save methods, as `lm_eval run --log_samples` calls
    them): the control for what its reading code makes of a folder. Task `t` has one sample, task `e`
    none (lm-eval then writes an empty samples file, as llem does for a task with no completed request)."""
    sample = {'doc_id': 0, 'doc': {'q': 'Hello'}, 'target': '', 'arguments': [['Hello', {'max_gen_toks': 4}]], 'resps': [['hi']], 'filtered_resps': ['hi']}
    sample |= {'filter': 'none', 'metrics': ['score'], 'doc_hash': 'a', 'prompt_hash': 'b', 'target_hash': 'c', 'score': 1.0}
    for _ in range(2):  # two runs: files with two date ids
        tracker = tracker_mod.EvaluationTracker(output_path=str(root))
        tracker.general_config_tracker.model_name_sanitized = 'org__model'
        results: dict[str, Any] = {'results': {'t': {'alias': 't', 'score,none': 1.0}, 'e': {'alias': 'e'}}, 'configs': {'t': {}, 'e': {}}}
        samples = {'t': [dict(sample)], 'e': []}
        tracker.save_results_aggregated(results=results, samples=samples)
        for task in results['configs']:
            tracker.save_results_samples(task_name=task, samples=samples[task])


def main() -> None:
    logging.disable(logging.WARNING)
    datasets.disable_progress_bars()
    root = Path(sys.argv[-1])
    if sys.argv[1] == '--reference':
        reference(root)
    files = LocalRepo(root).list_repo_files('', '')
    results = utils.get_results_filenames(files)
    samples = utils.get_sample_results_filenames(files)
    by_model: dict[str, list[str]] = {}
    for f in results:
        by_model.setdefault(str(Path(f).parent), []).append(f)
    out = {
        'lm_eval': importlib.metadata.version('lm_eval'),
        'files': files,
        'results_files': results,
        'sample_files': samples,
        'sample_tasks': {f: utils.get_file_task_name(Path(f).name) for f in samples},
        'datetimes': {f: utils.get_file_datetime(Path(f).name) for f in results + samples},
        'latest_results': {m: utils.get_latest_filename(fs) for m, fs in by_model.items()},
        'card': card(root),
        'rows': {f: rows(root / f) for f in results + samples},
    }
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
