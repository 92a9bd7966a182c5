/**
 * A bench file that throws while it is imported is reported at the place in the file as written, not
 * in the code jiti produced from it (types stripped, imports rewritten, the whole wrapped in a function
 * on line 1). The expected columns are counted in the source below: V8 points at the property read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { collectFile } from '../core/collect/collect-files.js'
import { InputError } from '../core/errors.js'

async function importError(source: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-import-col-'))
  const file = path.join(dir, 'broken.bench.ts')
  writeFileSync(file, source)
  const e = await collectFile(file, dir).catch((err: unknown) => err)
  expect(e).toBeInstanceOf(InputError)
  expect((e as InputError).exitCode).toBe(2)
  return (e as InputError).message
}

describe('where a bench file threw while loading', () => {
  it('line 2 after type annotations: the column of `foo` as written (41)', async () => {
    //                               col 41 is the f of foo: 21 chars, then (undefined as any) is 22-39, . is 40
    const msg = await importError("import { bench } from 'llem'\nconst x: number = 1; (undefined as any).foo; void x; void bench\n")
    expect(msg).toMatch(/broken\.bench\.ts:2:41: TypeError while loading bench file: /)
  })

  it('line 1 of a 2-line file: the column in the line, not in jiti\'s wrapper (24)', async () => {
    // "const v: any = null; " is 21 characters, v is 22, . is 23, boom starts at 24
    const msg = await importError('const v: any = null; v.boom()\nexport {}\n')
    expect(msg).toMatch(/broken\.bench\.ts:1:24: TypeError while loading bench file: /)
  })
})
