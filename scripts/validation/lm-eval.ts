/** docs/validation.md: llem's lm-eval output folder read by lm-eval's own code (test/fixtures/peers/lm-eval.ts). */
import { cardConfigName, compareLmEval, type LmEvalRead } from '../../test/fixtures/peers/lm-eval.js'
import { pythonEnv } from '../../test/fixtures/python-envs.js'
import { table, yes, type ValidationSection } from './section.js'

function fileRows(r: LmEvalRead): Array<Array<string | number>> {
  const latest = new Set(Object.values(r.card.configs).flatMap((splits) => splits.filter((s) => s.split === 'latest').map((s) => s.path[0].replace('**/', ''))))
  return r.files.map((f) => {
    const kind = r.results_files.includes(f) ? 'results' : r.sample_files.includes(f) ? 'samples' : '**neither**'
    const rows = r.rows[f]
    return [
      `\`${f}\``,
      kind,
      r.sample_tasks[f] ?? '',
      r.datetimes[f] ?? '',
      typeof rows === 'number' ? rows : `fails: ${rows?.error ?? 'not read'}`,
      kind === 'samples' ? (latest.has(f.split('/').pop()!) ? "its run's split and 'latest'" : 'not listed (an older run)') : Object.values(r.latest_results).includes(f) ? 'newest (get_latest_filename)' : '',
    ]
  })
}

export const lmEvalSection: ValidationSection = {
  id: 'lm-eval',
  title: "lm-eval: llem's results folder read by lm-eval's own code",
  async run() {
    const c = await compareLmEval(pythonEnv('peers'))
    const { llem, reference, wrote } = c
    const classified = llem.results_files.length + llem.sample_files.length === llem.files.length
    const tasksOk = llem.sample_files.every((f) => wrote.resultsTasks[`${f.split('/')[0]}/results_${llem.datetimes[f]}.json`]?.includes(llem.sample_tasks[f]))
    const configsOk = llem.sample_files.every((f) => cardConfigName(f.split('/')[0], llem.sample_tasks[f]) in llem.card.configs)
    const rowsOk = Object.entries(wrote.sampleLines).every(([f, n]) => (n > 0 ? llem.rows[f] === n : typeof llem.rows[f] === 'object')) && llem.results_files.every((f) => llem.rows[f] === 1)
    const agree = classified && tasksOk && configsOk && rowsOk
    const header = ['file', 'lm-eval calls it', 'task (get_file_task_name)', 'date (get_file_datetime)', 'datasets rows', 'card / newest']
    const markdown = `
lm-eval ${llem.lm_eval} (\`lm_eval\` without its torch extra), run here with no network. Run in
\`test/lm-eval-compat.test.ts\`. llem's \`lm-eval\` reporter wrote two runs a day apart into one folder
(a GPU experiment, a CPU one and a failed one in the first; the first two again in the second). The
code lm-eval has for reading such a folder then ran on it, unchanged:

- \`lm_eval.utils\`: \`get_results_filenames\` and \`get_sample_results_filenames\` over the folder's file
  list, \`get_file_task_name\`, \`get_file_datetime\`, \`get_latest_filename\`;
- \`EvaluationTracker.recreate_metadata_card\`, which globs a results repository's \`results_*.json\` and
  \`samples_*.jsonl\`, works out the newest run of every task, loads the newest results file with
  \`datasets.load_dataset\` and writes the dataset card. Only the hub around it is replaced: the repository
  listing by the folder's, the file URL by the local path, the card's upload by a capture;
- \`datasets.load_dataset("json")\` on every file, as the card tells its readers to load them.

As the control, the same code ran on a folder lm-eval's own \`EvaluationTracker\` wrote
(\`save_results_aggregated\` and \`save_results_samples\`, as \`lm_eval run --log_samples\` calls them), with
one task that has a sample and one that has none.

Every file classified: ${yes(classified)}; each samples file's task is a task of the results file of its
run: ${yes(tasksOk)}; every task has its card entry: ${yes(configsOk)}; datasets reads every results file as one
row and every non-empty samples file with all its lines: ${yes(rowsOk)}. Newest results per model:
${Object.values(llem.latest_results).map((f) => `\`${f}\``).join(', ')}.

${table(header, fileRows(llem))}

lm-eval's own folder, read by the same code:

${table(header, fileRows(reference))}

Two things lm-eval's code does to its own files as much as to llem's: \`get_file_datetime\` strips
\`.jsonl\` but not \`.json\`, so a results file's date keeps its suffix and \`recreate_metadata_card\` never
matches it to its run (the card lists no "results" configuration, for lm-eval's folder either); and a
task with no samples leaves an empty samples file, which \`datasets\` cannot load (lm-eval opens the file
for appending and writes nothing, as llem writes nothing for a task whose experiments all failed).

Not used as a check: the TypedDicts of \`lm_eval/result_schema.py\`. lm-eval never validates against them,
and its own files do not satisfy them (its \`evaluator_utils\` writes \`"N/A"\` where they declare a
number for a metric's stderr, as llem does without repeats). One difference from lm-eval's samples
that docs/formats.md states: llem keeps no generated text, so \`resps\` and \`filtered_resps\` hold
\`null\` where lm-eval writes strings; \`datasets\` reads them (the row counts above).
`
    return { markdown, agree }
  },
}
