/**
 * `llem init [dir]`: scaffolds a project, llem.config.ts, benchmarks/first.bench.ts (runs as written)
 * and .github/workflows/llem.yml. Nothing is overwritten without --force, and nothing at all is written
 * when a file is in the way: a half-written scaffold is harder to undo than none.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { makeDirs } from '../../results/make-dirs.js'
import path from 'node:path'
import { InputError } from '../../errors.js'
import { packageRoot } from '../../package-root.js'
import { CONFIG_TEMPLATE, FIRST_BENCH_TEMPLATE, workflowTemplate } from './init-templates.js'

/** Config files llem would read before or instead of the llem.config.ts init writes (load-config.ts). */
const OTHER_CONFIGS = ['.llemrc', '.llemrc.json', '.llemrc.yaml', '.llemrc.yml', '.llemrc.js', '.llemrc.mjs', '.llemrc.cjs', '.llemrc.ts', 'llem.config.mts', 'llem.config.js', 'llem.config.mjs', 'llem.config.cjs', 'llem.config.json']

export function initCommand(dir: string | undefined, flags: { force?: boolean }, options: Record<string, string | boolean> = {}, out: NodeJS.WritableStream = process.stdout): number {
  // a config option here would be lost: the scaffold's settings are edited in the files it writes
  const given = Object.keys(options)
  if (given.length) throw new InputError('CONFIG_INVALID', `command line: llem init takes no config options (${given.map((k) => `--${k}`).join(' ')}): set them in llem.config.ts or the bench file after it is written`)
  const root = path.resolve(process.cwd(), dir ?? '.')
  const install = existsSync(path.join(root, 'package-lock.json')) ? 'npm ci' : 'npm install'
  const files: [string, string][] = [
    ['llem.config.ts', CONFIG_TEMPLATE],
    [path.join('benchmarks', 'first.bench.ts'), FIRST_BENCH_TEMPLATE],
    [path.join('.github', 'workflows', 'llem.yml'), workflowTemplate(install)],
  ]
  // another config would be read instead of llem.config.ts (or as well): --force cannot fix that
  const pkg = readPackageJson(root)
  const others = [...OTHER_CONFIGS.filter((f) => existsSync(path.join(root, f))), ...(pkg?.llem !== undefined ? ['package.json ("llem" key)'] : [])]
  if (others.length)
    throw new InputError('INIT_CONFLICT', `${root}: already has a llem config (${others.join(', ')}): nothing written; llem reads that one, so add bench files to its include instead (or remove it and run llem init again)`, { file: others[0] })
  const existing = files.map(([rel]) => rel).filter((rel) => existsSync(path.join(root, rel)))
  if (existing.length && !flags.force)
    throw new InputError('INIT_CONFLICT', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${root}: nothing written (llem init --force overwrites ${existing.length === 1 ? 'it' : 'them'})`, { file: existing[0] })
  for (const [rel, content] of files) {
    const file = path.join(root, rel)
    makeDirs(path.dirname(file))
    writeFileSync(file, content)
    out.write(`${existing.includes(rel) ? 'overwrote' : 'wrote'} ${path.relative(process.cwd(), file) || file}\n`)
  }
  const cd = path.relative(process.cwd(), root)
  const lines = ['', 'next:']
  if (cd) lines.push(`  cd ${cd}`)
  // bench files find 'llem' without it; the CI workflow's `npx llem` needs it in package.json
  if (!hasLlemDependency(pkg)) {
    // the CI runner has only what package.json names: llem must be there, from a source the runner can reach
    lines.push(`  npm install --save-dev <llem's git URL, or a tarball from \`npm pack\` in ${packageRoot()}>`)
    lines.push('                                   (the CI workflow installs llem from package.json)')
  }
  lines.push('  npx llem bench                   (runs benchmarks/first.bench.ts: a random-weight 1M llama on the CPU, no download)')
  out.write(lines.join('\n') + '\n')
  return 0
}

function readPackageJson(root: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>
  } catch {
    return null
  }
}

function hasLlemDependency(pkg: Record<string, unknown> | null): boolean {
  return ['dependencies', 'devDependencies'].some((k) => typeof pkg?.[k] === 'object' && pkg[k] !== null && 'llem' in (pkg[k] as object))
}
