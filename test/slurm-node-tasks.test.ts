/**
 * How a Slurm task learns which tasks of its run share its node: each worker lists itself in
 * slurm/active/ of the run directory; a sibling counts when it is on the same host and its process
 * is alive there.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { activeDir, registerOnNode, siblingsOnNode } from '../core/slurm/node-tasks.js'

let runDir: string
beforeEach(() => {
  runDir = mkdtempSync(path.join(os.tmpdir(), 'llem-node-tasks-'))
})
afterEach(() => rmSync(runDir, { recursive: true, force: true }))

const host = os.hostname()
const entry = (task: number, pid: number, on = host) => ({ task, host: on, pid, slurm_task: `900_${task}`, started_at: '2026-01-01T00:00:00.000Z' })
/** a pid that certainly names no process any more: a child that has exited and been reaped */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!

describe('tasks of a run on one node', () => {
  it('a task sees the live siblings on its own host, not itself, not other nodes, not the dead', () => {
    const me = registerOnNode(runDir, entry(0, process.pid))
    expect(me.others()).toBeNull()
    // task 1: alive here (this test's parent process); task 2: on another node; task 3: killed, its file left behind
    registerOnNode(runDir, entry(1, process.ppid))
    registerOnNode(runDir, entry(2, process.ppid, 'some-other-node'))
    registerOnNode(runDir, entry(3, deadPid()))
    expect(siblingsOnNode(runDir, { task: 0, host }).map((t) => t.task)).toEqual([1])
    expect(me.others()).toBe(`another task of this run on node ${host}: task 1 (Slurm 900_1), pid ${process.ppid}`)
  })

  it('a task that ends takes itself off the list', () => {
    const sibling = registerOnNode(runDir, entry(4, process.ppid))
    expect(siblingsOnNode(runDir, { task: 0, host }).map((t) => t.task)).toEqual([4])
    sibling.release()
    expect(existsSync(path.join(activeDir(runDir), '4.json'))).toBe(false)
    expect(siblingsOnNode(runDir, { task: 0, host })).toEqual([])
  })

  it('a half-written file is skipped, and no list at all means no siblings', () => {
    expect(siblingsOnNode(runDir, { task: 0, host })).toEqual([])
    registerOnNode(runDir, entry(5, process.ppid))
    writeFileSync(path.join(activeDir(runDir), '6.json'), '{"task": 6, "ho')
    expect(siblingsOnNode(runDir, { task: 0, host }).map((t) => t.task)).toEqual([5])
  })
})
