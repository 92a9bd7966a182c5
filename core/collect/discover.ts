/** Step 2: glob the include patterns into bench files; positional CLI filters narrow them by path. */
import path from 'node:path'
import { glob } from 'tinyglobby'

export async function discoverBenchFiles(opts: { rootDir: string; include: string[]; exclude: string[]; filters: string[] }): Promise<string[]> {
  const files = await glob(opts.include, { cwd: opts.rootDir, ignore: opts.exclude, absolute: true, onlyFiles: true })
  files.sort()
  if (opts.filters.length === 0) return files
  // like Vitest: a filter is a substring of the file path (relative to the root, forward slashes)
  return files.filter((f) => {
    const rel = path.relative(opts.rootDir, f).split(path.sep).join('/')
    return opts.filters.some((flt) => rel.includes(flt.replace(/\\/g, '/')) || f.includes(flt))
  })
}
