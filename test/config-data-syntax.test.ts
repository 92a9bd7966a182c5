/**
 * A broken JSON or YAML config (llem.config.json, .llemrc.yaml, the "llem" key's package.json) says where
 * and why: file:line:column and the parser's cause, not just "JSON Error in <file>:" with nothing after it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config/load-config.js'
import { InputError } from '../core/errors.js'

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-config-syntax-'))
  for (const [rel, content] of Object.entries(files)) writeFileSync(path.join(dir, rel), content)
  return dir
}

async function loadError(cwd: string, configPath?: string): Promise<InputError> {
  const e = await loadConfig({ cwd, configPath }).catch((err: unknown) => err)
  expect(e).toBeInstanceOf(InputError)
  expect((e as InputError).exitCode).toBe(2)
  expect((e as InputError).code).toBe('CONFIG_SYNTAX')
  return e as InputError
}

describe('a broken data config', () => {
  it('JSON: the line and column of the trailing comma\'s closing brace, and the cause', async () => {
    // line 2, column 36 is the `}` that follows `16, ` (a trailing comma is not JSON)
    const dir = project({ 'package.json': '{ "name": "x" }\n', 'broken.json': '{\n  "generation": { "maxTokens": 16, }\n}\n' })
    const e = await loadError(dir, path.join(dir, 'broken.json'))
    expect(e.message).toMatch(/broken\.json:2:36: syntax error: \S/)
    expect(e.message).toMatch(/property name/i)
    expect(e.message).not.toContain('\n')
  })

  it('JSON found by the search (llem.config.json), cut short: points at its end, line 3 column 1', async () => {
    const dir = project({ 'package.json': '{ "name": "x" }\n', 'llem.config.json': '{\n  "generation": {\n' })
    const e = await loadError(dir)
    expect(e.message).toMatch(/llem\.config\.json:3:1: syntax error: \S/)
  })

  it('YAML: the line and column of the badly indented key, and the cause', async () => {
    // line 3 indents `bad` by three spaces under a two-space mapping; js-yaml points at its colon, column 7
    const dir = project({ 'package.json': '{ "name": "x" }\n', '.llemrc.yaml': 'generation:\n  maxTokens: 16\n   bad: 1\n' })
    const e = await loadError(dir)
    expect(e.message).toMatch(/\.llemrc\.yaml:3:7: syntax error: bad indentation of a mapping entry$/)
  })
})
