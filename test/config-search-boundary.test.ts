/**
 * Issue 14, item 16: the config search walks up from the working directory. With no package.json on
 * the way it used to climb to `/`, so a `.llemrc.js` planted in a shared directory above (`/tmp`) ran
 * as whoever started llem below it. The search stops at the project root (package.json), the
 * repository root (.git), the home directory and a filesystem boundary, and never climbs into a
 * directory other users may write to. Each planted config here would write a marker file if it ran.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './fixtures/project.js'
import { requireTool } from './fixtures/required-tool.js'

/** a config that leaves `marker` behind when it is loaded */
const planted = (marker: string) => `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran')\nmodule.exports = { bail: 7 }\n`

function tree(): { base: string; marker: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'llem-search-'))
  const marker = path.join(base, 'PLANTED-CONFIG-RAN')
  writeFileSync(path.join(base, '.llemrc.cjs'), planted(marker))
  return { base, marker }
}

const list = (cwd: string, home: string) => runCli(cwd, ['list', '--json'], { HOME: home })

// the filesystem-boundary case mounts a tmpfs: root only (CI runs as root); elsewhere it says so
const isRoot = requireTool('config-search-boundary: the filesystem-boundary case', process.getuid?.() === 0, 'needs root to mount a tmpfs', 'run as root; CI does')

describe('the config search', () => {
  it('does not climb into a directory others may write to (a planted /tmp/.llemrc)', async () => {
    const { base, marker } = tree()
    // base plays /tmp: world-writable with the sticky bit
    chmodSync(base, 0o1777)
    const project = path.join(base, 'project')
    mkdirSync(project)
    const r = await list(project, path.join(base, 'nohome'))
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(marker), 'the planted config ran').toBe(false)
    expect(JSON.parse(r.stdout).config_file).toBeNull()
  })

  it('stops at the home directory', async () => {
    const { base, marker } = tree()
    const home = path.join(base, 'home')
    const cwd = path.join(home, 'work', 'sub')
    mkdirSync(cwd, { recursive: true })
    const r = await list(cwd, home)
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(marker)).toBe(false)
    expect(JSON.parse(r.stdout).config_file).toBeNull()
  })

  it('stops at the repository root, and still finds the config there from a subdirectory', async () => {
    const { base, marker } = tree()
    const repo = path.join(base, 'repo')
    mkdirSync(path.join(repo, '.git'), { recursive: true })
    mkdirSync(path.join(repo, 'a', 'b'), { recursive: true })
    const r1 = await list(path.join(repo, 'a', 'b'), path.join(base, 'nohome'))
    expect(r1.code, r1.stderr).toBe(0)
    expect(existsSync(marker)).toBe(false)
    expect(JSON.parse(r1.stdout).config_file).toBeNull()
    writeFileSync(path.join(repo, 'llem.config.ts'), 'export default { bail: 2 }\n')
    const r2 = await list(path.join(repo, 'a', 'b'), path.join(base, 'nohome'))
    expect(JSON.parse(r2.stdout).config_file).toBe(path.join(repo, 'llem.config.ts'))
  })

  it('stops at the project root (package.json), as before', async () => {
    const { base, marker } = tree()
    const project = path.join(base, 'pkg')
    mkdirSync(path.join(project, 'src'), { recursive: true })
    writeFileSync(path.join(project, 'package.json'), '{"name":"p"}\n')
    const r = await list(path.join(project, 'src'), path.join(base, 'nohome'))
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(marker)).toBe(false)
  })

  it.skipIf(!isRoot)('stops at a filesystem boundary', async () => {
    const { base, marker } = tree()
    const mnt = path.join(base, 'mnt')
    mkdirSync(mnt)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', mnt])
    try {
      mkdirSync(path.join(mnt, 'project'))
      const r = await list(path.join(mnt, 'project'), path.join(base, 'nohome'))
      expect(r.code, r.stderr).toBe(0)
      expect(existsSync(marker), 'the search crossed into the parent filesystem').toBe(false)
      expect(JSON.parse(r.stdout).config_file).toBeNull()
    } finally {
      execFileSync('umount', [mnt])
    }
  })
})
