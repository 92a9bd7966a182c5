/**
 * Every reporter sees the same, unchanged event: one reporter that changes a result (deletes a field,
 * drops a result from the run's list) must not change what the reporters after it write. The objects a
 * hook receives are read-only; the change fails in that reporter (named, the run fails as for any
 * reporter error) and the next reporter gets the result as it was measured.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createDispatcher } from '../core/reporters/dispatch.js'
import type { Reporter } from '../core/reporters/types.js'

const sink = () => {
  let text = ''
  return { stream: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), text: () => text }
}

describe('reporter events are read-only', () => {
  it('a reporter deleting a field or dropping a result changes nothing for the next one, and is named', async () => {
    const seen: string[] = []
    const vandal: Reporter = {
      name: 'vandal',
      onExperimentEnd(_x, r) {
        delete (r as unknown as Record<string, unknown>).total_energy_j
      },
      onRunEnd(s) {
        ;(s.results as unknown[]).pop()
      },
    }
    const writer: Reporter = {
      name: 'writer',
      onExperimentEnd(_x, r) {
        seen.push(`end ${String((r as unknown as Record<string, unknown>).total_energy_j)}`)
      },
      onRunEnd(s) {
        seen.push(`run ${s.results.length} ${s.results.map((r) => (r as unknown as Record<string, unknown>).total_energy_j).join(',')}`)
      },
    }
    const err = sink()
    const d = createDispatcher([vandal, writer], { stderr: err.stream })
    const a = { experiment_id: 'a', total_energy_j: 12.5, nested: { ttft_ms: [1, 2] } }
    const b = { experiment_id: 'b', total_energy_j: 7.25, nested: { ttft_ms: [3] } }
    await d.emit('onExperimentEnd', {} as never, a as never)
    await d.emit('onRunEnd', { results: [a, b] } as never)
    expect(seen).toEqual(['end 12.5', 'run 2 12.5,7.25'])
    expect(d.errors().map((e) => `${e.reporter} ${e.hook}`)).toEqual(['vandal onExperimentEnd', 'vandal onRunEnd'])
    expect(err.text()).toContain('reporter "vandal" failed in onExperimentEnd')
    // llem's own objects are untouched and still its to change
    expect(a.total_energy_j).toBe(12.5)
    expect(Object.isFrozen(a)).toBe(false)
  })
})
