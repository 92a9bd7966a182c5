/**
 * `npm run validation [-- <section>...]`: regenerates docs/validation.md, llem side by side with the
 * field's own tools, from comparisons run here and now (never typed by hand). Each section runs its
 * comparison (the same code its vitest file runs), writes its tables with the figures measured on this
 * machine and the date and commit they were measured at, and says whether llem agreed.
 *
 * With section ids, only those are rerun and replaced in the existing file (each sits between
 * `<!-- section:<id> -->` markers); the others keep their figures and their own dates. Exits 1 when a
 * comparison disagrees beyond its tolerance (the file is still written, showing where).
 *
 * A section is a module in scripts/validation/ exporting a ValidationSection; add it to SECTIONS.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { amdsmiBindingsSection } from './validation/amdsmi-bindings.js'
import { benchToolsLlamaServerSection, benchToolsScriptedSection } from './validation/bench-tools.js'
import { codecarbonSection } from './validation/codecarbon.js'
import { lmEvalSection } from './validation/lm-eval.js'
import { nvmlBindingsSection } from './validation/nvml-bindings.js'
import type { ValidationSection } from './validation/section.js'
import { vllmArgsSection } from './validation/vllm-args.js'

const SECTIONS: readonly ValidationSection[] = [nvmlBindingsSection, amdsmiBindingsSection, codecarbonSection, lmEvalSection, benchToolsScriptedSection, benchToolsLlamaServerSection, vllmArgsSection]

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DOC = path.join(REPO, 'docs', 'validation.md')

const HEADER = `# Validation: llem beside the field's own tools

Each section below runs llem and one of the tools the field already trusts on the same input, installed
from PyPI at pinned versions (\`requirements/*.txt\`, built by \`scripts/build-python-envs\`), and tabulates
what each reported. Nothing here is typed by hand: \`npm run validation\` regenerates this file (\`npm run
validation -- <section>\` one section), and the same comparisons run in \`npm test\`, where a
disagreement beyond the stated tolerance fails the suite. Each section says when, at which commit and
on which machine its figures were measured.
`

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

/** The commit, marked when tracked files differ from it (the figures then come from a working tree). */
function commit(): string {
  const sha = git(['rev-parse', '--short=12', 'HEAD']) || 'unknown'
  return git(['status', '--porcelain', '--untracked-files=no']) ? `${sha} (with uncommitted changes)` : sha
}

function machine(): string {
  const cpu = os.cpus()
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`
}

const open = (id: string) => `<!-- section:${id} -->`
const close = (id: string) => `<!-- /section:${id} -->`

/** The existing file's sections by id, to keep those not rerun. */
function existing(): Map<string, string> {
  const out = new Map<string, string>()
  if (!existsSync(DOC)) return out
  const text = readFileSync(DOC, 'utf8')
  for (const m of text.matchAll(/<!-- section:([\w-]+) -->\n([\s\S]*?)<!-- \/section:\1 -->/g)) out.set(m[1], m[2])
  return out
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const unknown = wanted.filter((w) => !SECTIONS.some((s) => s.id === w))
  if (unknown.length) {
    console.error(`unknown section(s): ${unknown.join(', ')}; sections: ${SECTIONS.map((s) => s.id).join(', ')}`)
    return 2
  }
  const kept = existing()
  const stamp = { date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), commit: commit(), machine: machine() }
  let failed = 0
  const parts: string[] = [HEADER]
  for (const s of SECTIONS) {
    let body = kept.get(s.id)
    if (wanted.length === 0 || wanted.includes(s.id) || body === undefined) {
      const t0 = Date.now()
      console.error(`validation: ${s.id} ...`)
      try {
        const r = await s.run()
        if (!r.agree) failed++
        body = `## ${s.title}\n\n_Measured ${stamp.date} at commit ${stamp.commit} on ${stamp.machine}; ${r.agree ? 'llem agrees' : '**llem DISAGREES**'} (${((Date.now() - t0) / 1000).toFixed(0)} s)._\n\n${r.markdown.trim()}\n\n`
      } catch (e) {
        failed++
        body = `## ${s.title}\n\n_Could not run on ${stamp.date} at commit ${stamp.commit}:_ \`${(e instanceof Error ? e.message : String(e)).split('\n')[0]}\`\n\n`
        console.error(e)
      }
      console.error(`validation: ${s.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    }
    parts.push(`${open(s.id)}\n${body}${close(s.id)}\n`)
  }
  writeFileSync(DOC, parts.join('\n'))
  console.error(`validation: wrote ${path.relative(REPO, DOC)}${failed ? `; ${failed} section(s) disagree or could not run` : ''}`)
  return failed ? 1 : 0
}

process.exitCode = await main()
