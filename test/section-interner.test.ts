import { describe, expect, it } from 'vitest'
import { SectionInterner } from '../core/plan/validate-point.js'

// A sweep point's merged options: its changed sections are fresh objects; the interner swaps in an
// earlier point's section when the point's own layer wrote the same JSON text there.
const merged = (load: Record<string, unknown>, generation: Record<string, unknown>) => ({ backend: { name: 'x' }, load: { concurrency: 1, ...load }, generation: { temperature: 0, ...generation } })

describe('SectionInterner: one object per distinct changed section', () => {
  it('a section the layer wrote with the same text is the earlier point\'s object; other sections and other texts are left alone', () => {
    const interner = new SectionInterner()
    const a = merged({ seed: 1 }, { maxTokens: 8 })
    const b = merged({ seed: 1 }, { maxTokens: 9 })
    const c = merged({ seed: 2 }, { maxTokens: 8 })
    const [aLoad, aGen, bGen, cLoad, bBackend] = [a.load, a.generation, b.generation, c.load, b.backend]
    interner.intern({ load: { seed: 1 }, generation: { maxTokens: 8 } }, a)
    interner.intern({ load: { seed: 1 }, generation: { maxTokens: 9 } }, b)
    interner.intern({ load: { seed: 2 }, generation: { maxTokens: 8 } }, c)
    expect(a.load).toBe(aLoad)
    expect(b.load).toBe(aLoad)
    expect(b.generation).toBe(bGen)
    expect(c.generation).toBe(aGen)
    expect(c.load).toBe(cLoad)
    expect(c.load).not.toBe(aLoad)
    // a section the layer did not write is never touched
    expect(b.backend).toBe(bBackend)
  })

  it('a value JSON cannot say exactly (Infinity is written null) is never shared', () => {
    const interner = new SectionInterner()
    const inf = { load: { rate: Infinity } }
    const nul = { load: { rate: null } }
    interner.intern({ load: { rate: Infinity } }, inf)
    const before = nul.load
    interner.intern({ load: { rate: null } }, nul)
    expect(nul.load).toBe(before)
    expect(nul.load.rate).toBeNull()
    expect(inf.load.rate).toBe(Infinity)
  })

  it('the same text under another section is another section', () => {
    const interner = new SectionInterner()
    const x = { load: { n: 1 }, generation: { n: 1 } }
    const gen = x.generation
    interner.intern({ load: { n: 1 }, generation: { n: 1 } }, x)
    expect(x.generation).toBe(gen)
    expect(x.generation).not.toBe(x.load)
  })
})
