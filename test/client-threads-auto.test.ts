/**
 * load.clientThreads 'auto': one stream never needs a second thread; a machine of 2 cores keeps one for
 * the main thread and so gets one client thread, however many streams; 16,384 streams on 16 cores
 * fill all but one core, and the reason says so.
 */
import { describe, expect, it } from 'vitest'
import { autoClientThreads } from '../core/measure/client-threads-auto.js'

describe("load.clientThreads 'auto'", () => {
  it('one stream: one thread', () => {
    expect(autoClientThreads(1, 16).threads).toBe(1)
  })
  it('2 cores: one thread, however many streams', () => {
    expect(autoClientThreads(4096, 2).threads).toBe(1)
  })
  it('16,384 streams on 16 cores: 15 threads, capped, and the reason names the cap', () => {
    const c = autoClientThreads(16384, 16)
    expect(c.threads).toBe(15)
    expect(c.reason).toMatch(/^auto: 16384 streams .* capped at 15 \(16 cores less one/)
  })
  it('more streams never fewer threads', () => {
    const counts = [1, 64, 256, 1024, 4096, 16384].map((n) => autoClientThreads(n, 64).threads)
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1])
    expect(counts[counts.length - 1]).toBeGreaterThan(1)
  })
})
