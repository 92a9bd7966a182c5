/**
 * Which tasks of a run are running on the same node right now, so that a Slurm task does not take an
 * idle baseline beside its siblings (their model loads and requests heat the node's CPU packages and
 * RAM, and its GPUs' neighbours). The plan is made before Slurm places anything, so only the tasks
 * can tell: each `llem worker` writes slurm/active/<task>.json (host, pid, Slurm ids) into the run
 * directory when it starts and removes it when it ends. Tasks on one node go through that node's
 * view of the shared filesystem, so they see each other's files as soon as they are written. A file
 * left by a task that was killed outright (SIGKILL at its time limit) names a process that no longer
 * exists on that host, and is ignored.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface ActiveTask {
  /** llem task index (slurm/tasks/<task>.json) */
  task: number
  /** os.hostname() of the node: process ids only mean something on their own host */
  host: string
  pid: number
  /** `<array job>_<array task>` as Slurm names it, when known */
  slurm_task: string | null
  started_at: string
}

export const activeDir = (runDir: string) => path.join(runDir, 'slurm', 'active')
const activeFile = (runDir: string, task: number) => path.join(activeDir(runDir), `${task}.json`)

/** Whether a process exists on this host (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The other tasks of the run whose process is alive on `self.host`. */
export function siblingsOnNode(runDir: string, self: Pick<ActiveTask, 'task' | 'host'>, alive: (pid: number) => boolean = processAlive): ActiveTask[] {
  let files: string[]
  try {
    files = readdirSync(activeDir(runDir)).filter((f) => /^\d+\.json$/.test(f))
  } catch {
    return []
  }
  const out: ActiveTask[] = []
  for (const f of files) {
    let t: ActiveTask
    try {
      t = JSON.parse(readFileSync(path.join(activeDir(runDir), f), 'utf8')) as ActiveTask
    } catch {
      continue // being written or removed this instant: its task is checked again after the baseline
    }
    if (t.task !== self.task && t.host === self.host && alive(t.pid)) out.push(t)
  }
  return out.sort((a, b) => a.task - b.task)
}

/** One line naming the siblings, for the baseline's note; null when there are none. */
export function describeSiblings(siblings: readonly ActiveTask[]): string | null {
  if (siblings.length === 0) return null
  const names = siblings.map((t) => `task ${t.task}${t.slurm_task ? ` (Slurm ${t.slurm_task})` : ''}, pid ${t.pid}`)
  return `${siblings.length === 1 ? 'another task' : `${siblings.length} other tasks`} of this run on node ${siblings[0].host}: ${names.join('; ')}`
}

/** Marks this task as running on its node; `release()` when it ends. */
export function registerOnNode(runDir: string, me: ActiveTask): { others(): string | null; release(): void } {
  mkdirSync(activeDir(runDir), { recursive: true })
  writeFileSync(activeFile(runDir, me.task), JSON.stringify(me) + '\n')
  return {
    others: () => describeSiblings(siblingsOnNode(runDir, me)),
    release: () => rmSync(activeFile(runDir, me.task), { force: true }),
  }
}
