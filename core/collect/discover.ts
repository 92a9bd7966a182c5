/** Step 2: glob the include patterns into bench files; positional CLI filters narrow them by path. */
import path from 'node:path'
import { glob } from 'tinyglobby'

export async function discoverBenchFiles(opts: { rootDir: string; include: string[]; exclude: string[]; filters: string[] }): Promise<string[]> {
  const files = await glob(opts.include, { cwd: opts.rootDir, ignore: opts.exclude, absolute: true, onlyFiles: true })
  files.sort()
  if (opts.filters.length === 0) return files
  // Like Vitest (packages/vitest/src/node/project.ts, filterFiles): a filter is a case-insensitive substring
  // of the path relative to the root. Only the relative path is matched, so the folder a checkout lives in
  // never matches; a path filter (`./benches/x.bench.ts`, absolute) is made relative to the root first.
  const needles = opts.filters.map((flt) => filterNeedle(flt, opts.rootDir))
  return files.filter((f) => {
    const rel = toPosix(path.relative(opts.rootDir, f)).toLowerCase()
    return needles.some((n) => rel.includes(n))
  })
}

function filterNeedle(filter: string, rootDir: string): string {
  const flt = toPosix(filter)
  if (path.isAbsolute(filter) || flt.startsWith('./') || flt.startsWith('../')) {
    const rel = toPosix(path.relative(rootDir, path.resolve(process.cwd(), filter)))
    // a path outside the root cannot name a bench file in it; fall back to the text without ./
    if (!rel.startsWith('../') && rel !== '..') return rel.toLowerCase()
    return flt.replace(/^(\.\/)+/, '').toLowerCase()
  }
  return flt.toLowerCase()
}

const toPosix = (p: string) => p.replace(/\\/g, '/')
