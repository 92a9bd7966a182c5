/** The cool-down between experiments: a fixed pause, bounded, and cut short by an interrupt. */
import { describe, expect, it } from 'vitest'
import { waitForCooldown } from '../core/run/cooldown.js'

describe('cool-down', () => {
  it('waits the fixed seconds, never longer than maxSeconds', async () => {
    const never = new AbortController().signal
    let t0 = Date.now()
    await waitForCooldown({ seconds: 0.3, temperatureMarginC: null, maxSeconds: 10 }, [], never)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    t0 = Date.now()
    await waitForCooldown({ seconds: 5, temperatureMarginC: null, maxSeconds: 0.2 }, [], never)
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('without NVML there is no temperature to wait for: it returns after the fixed part', async () => {
    const t0 = Date.now()
    await waitForCooldown({ seconds: 0, temperatureMarginC: 3, maxSeconds: 30 }, ['GPU-none'], new AbortController().signal)
    expect(Date.now() - t0).toBeLessThan(2000)
  })
})

describe('cool-down and Ctrl-C', () => {
  it('an interrupt ends the pause at once', async () => {
    const c = new AbortController()
    setTimeout(() => c.abort(), 100)
    const t0 = Date.now()
    await waitForCooldown({ seconds: 10, temperatureMarginC: null, maxSeconds: 10 }, [], c.signal)
    expect(Date.now() - t0).toBeLessThan(1000)
  })
})
