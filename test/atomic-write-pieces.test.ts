/**
 * writeFileAtomicPieces encodes pieces into two 1 MB buffers that take turns being filled and
 * written: the file must hold exactly the pieces joined, whatever their sizes (tiny ones, ones that
 * straddle a buffer's end, ones larger than a buffer) and characters (UTF-8 of 2 to 4 bytes near the
 * edges), and a failure of the pieces' source must leave the previous file and no temp file behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileWriteError, writeFileAtomicPieces } from '../core/results/atomic-write.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'llem-pieces-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const MB = 1 << 20

describe('writeFileAtomicPieces', () => {
  it('writes the pieces joined, byte for byte, across buffer ends and oversized pieces', async () => {
    const pieces = [
      'a'.repeat(MB - 3),
      'é€', // 2 + 3 bytes where the first buffer has 3 left
      '😀'.repeat(10),
      'x'.repeat(3 * MB + 17), // larger than a buffer
      'ü'.repeat(400_000), // 800 kB: under a buffer in bytes, over the quick 3-bytes-per-unit bound
      ...Array.from({ length: 5000 }, (_, i) => `{"i":${i},"s":"ñ"}\n`),
    ]
    const file = path.join(dir, 'out.json')
    await writeFileAtomicPieces(file, pieces)
    expect(readFileSync(file).equals(Buffer.from(pieces.join(''), 'utf8'))).toBe(true)
    expect(readdirSync(dir)).toEqual(['out.json'])
  })

  it('writes an empty file for no pieces', async () => {
    const file = path.join(dir, 'empty.txt')
    await writeFileAtomicPieces(file, [])
    expect(readFileSync(file, 'utf8')).toBe('')
  })

  it('keeps the previous file when the pieces fail part way, with writes still in flight', async () => {
    const file = path.join(dir, 'results.json')
    writeFileSync(file, 'old')
    function* failing(): Generator<string> {
      for (let i = 0; i < 5; i++) yield 'y'.repeat(MB / 2)
      throw new Error('serialising failed')
    }
    await expect(writeFileAtomicPieces(file, failing())).rejects.toBeInstanceOf(FileWriteError)
    expect(readFileSync(file, 'utf8')).toBe('old')
    expect(readdirSync(dir)).toEqual(['results.json'])
  })
})
