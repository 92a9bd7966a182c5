/** docs/validation.md: every `vllm serve` command line llem builds, parsed by vLLM's own CLI (test/fixtures/vllm-parser.ts). */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { trtllmArgs, trtllmOptionsSchema } from '../../plugins/backends/trtllm/index.js'
import { clickRefusal, TRTLLM_SERVE_OPTIONS, TRTLLM_SERVE_SOURCE } from '../../test/fixtures/engines/trtllm-serve-options.js'
import { REPO } from '../../test/fixtures/project.js'
import { pythonEnv } from '../../test/fixtures/python-envs.js'
import { checkVllmArgs } from '../../test/fixtures/vllm-parser.js'
import { table, yes, type ValidationSection } from './section.js'

const show = (v: unknown) => JSON.stringify(v)

export const vllmArgsSection: ValidationSection = {
  id: 'vllm-args',
  title: "vLLM: llem's `vllm serve` command lines through vLLM's own parser",
  async run() {
    const version = readFileSync(path.join(REPO, 'requirements', 'vllm.txt'), 'utf8').match(/^vllm==(\S+)/m)?.[1] ?? '?'
    const { cases, controls } = checkVllmArgs(pythonEnv('vllm'))
    const matches = (c: (typeof cases)[number]) => c.parsed.ok && Object.entries(c.expect).every(([k, v]) => show(c.parsed.args[k]) === show(v))
    const rows = cases.map((c) => [
      c.name,
      `\`${c.argv.slice(2).filter((a, i, all) => !['--host', '--port', '--seed'].includes(a) && !['--host', '--port', '--seed'].includes(all[i - 1])).join(' ')}\``,
      c.parsed.ok ? Object.keys(c.expect).map((k) => `${k}=${show(c.parsed.args[k])}`).join(', ') : `refused: ${c.parsed.error}`,
      yes(matches(c)),
    ])
    const refused = controls.every((c) => !c.parsed.ok)
    const agree = cases.every(matches) && refused
    const markdown = `
vLLM ${version} from PyPI (\`requirements/vllm.txt\`; the CUDA wheel installs on this CPU machine, it only cannot
serve). \`test/python/vllm_serve_args.py\` runs vLLM's own CLI entry point (\`vllm.entrypoints.cli.main.main\`:
the parser, the \`serve\` subcommand and its \`validate_parsed_serve_args\`) on each command line llem's
\`vllm\` backend builds (\`vllmArgs\` in \`plugins/backends/vllm/index.ts\`), with the serve action replaced by one
that records the parsed arguments and builds vLLM's \`AsyncEngineArgs\` from them, as \`vllm serve\` does
before it loads a model. vLLM needs a platform to build its parser's defaults; with no GPU it detects none,
so the CPU platform is set first, as vLLM's own \`vllm bench\` does. The model is a local folder, as llem
passes a \`{ path }\` model. Every line also carries \`--host 127.0.0.1 --port 8123 --seed 7\`, parsed to those
values. Run in \`test/vllm-cli-args.test.ts\`.

${table(['llem option', "llem's flags", 'vLLM parsed', 'as given'], rows)}

Controls, which vLLM must refuse for the check to mean anything: ${controls.map((c) => `\`${c.argv.slice(2).join(' ')}\` (${c.parsed.ok ? '**accepted**' : c.parsed.error})`).join('; ')}. All refused: ${yes(refused)}.
`
    return { markdown: markdown + trtllm(), agree }
  },
}

/** trtllm-serve: every flag llem can build, against the options its source declares. */
function trtllm(): string {
  const all = { backend: 'pytorch', tokenizer: 't', maxBatchSize: 8, maxNumTokens: 2048, maxSeqLen: 1024, tpSize: 2, ppSize: 1, epSize: 1, kvCacheFreeGpuMemoryFraction: 0.9, trustRemoteCode: true }
  const argv = trtllmArgs('/models/llama', 8123, trtllmOptionsSchema.parse(all), '/tmp/extra.yaml').slice(1)
  const declared = new Map(TRTLLM_SERVE_OPTIONS.flatMap((o) => o.names.map((n) => [n, o.type] as const)))
  const flags = argv.filter((a) => a.startsWith('--'))
  const rows = flags.map((f) => [`\`${f}\``, declared.has(f) ? (typeof declared.get(f) === 'string' ? String(declared.get(f)) : 'choice') : '**not declared**', yes(declared.has(f))])
  const { repo, path: file, commit } = TRTLLM_SERVE_SOURCE
  return `
### trtllm-serve, against its source

TensorRT-LLM does not install here: PyPI's \`tensorrt-llm\` 1.2.1 and its \`tensorrt-cu13-libs\` are stub source
packages whose build downloads the real wheels from NVIDIA's own package index, which this machine cannot reach.
So llem's \`trtllm-serve\` command lines are checked against the \`serve\` command's click options as
\`${file}\` in ${repo} declares them at commit \`${commit.slice(0, 12)}\` (transcribed in
\`test/fixtures/engines/trtllm-serve-options.ts\`; checked in \`test/trtllm-cli-args.test.ts\`). Every flag llem's
\`trtllm\` backend can build:

${table(['flag', 'declared type', 'declared'], rows)}

Click's verdict on the full line: ${clickRefusal(argv) ?? 'accepted'}. \`serve\` declares no served-model-name option at
that commit, so llem builds none: \`servedModelName\` is refused as bad input for \`trtllm\`, and the name to send is
asked of the running server's \`/v1/models\`.
`
}
