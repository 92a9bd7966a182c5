/**
 * The HTML report, opened in a real browser (Debian's Chromium driven by playwright-core): it must
 * render without a console error or page error, attempt no network request at all, sort its table,
 * draw the Pareto charts and one power timeline per measured experiment, show warnings as text, and
 * look right (a screenshot is kept for a person to check). The pure parts (frontier, downsampling)
 * are checked without a browser.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import createHtml from '../plugins/reporters/html.js'
import { requireTool } from './fixtures/required-tool.js'
import { SHARED_TMP } from './fixtures/shared-tmp.js'
import { paretoFrontier, type ParetoPoint } from '../plugins/reporters/html/pareto.js'
import { downsample, isPowerColumn } from '../plugins/reporters/html/timeline.js'
import type { ExperimentInfo, RunSummary } from '../core/reporters/types.js'
import { aggregatedResultSchema } from '../core/results/schema.js'
import { captureStream, makeContext } from './fixtures/reporter-context.js'
import { HOSTILE_BENCH, HOSTILE_WARNING, LONG_ROWS, SWEEP, sweepId, writeSweepRun } from './fixtures/sweep-run.js'
import { maxOf, minOf } from '../core/stats/extent.js'

const CHROMIUM = '/usr/bin/chromium'
// the flags a closed network needs: without them Chromium's own background services try to connect
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const REPORT_URL = 'http://report.invalid/report.html'
const SCREENSHOT = join(SHARED_TMP, 'llem-html-report.png')

describe('html report helpers', () => {
  const pt = (x: number, y: number, id: string): ParetoPoint => ({ x, y, id, group: 'g', label: id })

  it('finds the Pareto frontier for a minimised and a maximised x, keeping exact ties', () => {
    const pts = [pt(10, 8, 'a'), pt(12, 5, 'b'), pt(18, 5.2, 'c'), pt(30, 6, 'd'), pt(12, 5, 'b2')]
    expect(paretoFrontier(pts, 'min').map((p) => p.id)).toEqual(['a', 'b', 'b2'])
    const tput = [pt(40, 8, 'a'), pt(70, 5, 'b'), pt(95, 5.2, 'c'), pt(90, 6, 'd')]
    expect(paretoFrontier(tput, 'max').map((p) => p.id)).toEqual(['b', 'c'])
  })

  it('downsamples to at most the asked number of points, in time order, keeping the spike and the dip', () => {
    const pts: Array<[number, number]> = Array.from({ length: 10_000 }, (_, i) => [i / 100, i === 4321 ? 500 : i === 7000 ? 1 : 100 + (i % 10)])
    const out = downsample(pts, 200)
    expect(out.length).toBeLessThanOrEqual(200)
    expect(out.length).toBeGreaterThan(150)
    expect(out.map((p) => p[0])).toEqual([...out.map((p) => p[0])].sort((a, b) => a - b))
    expect(maxOf(out.map((p) => p[1]))).toBe(500)
    expect(minOf(out.map((p) => p[1]))).toBe(1)
    expect(downsample(pts.slice(0, 50), 200)).toHaveLength(50)
  })

  it('plots power columns only', () => {
    expect(['gpu0_power_w', 'rapl_package-0_w', 'cpu_estimated_power_w'].every(isPowerColumn)).toBe(true)
    expect(['t_sec', 'energy_j:GPU-1_w', 'gpu0_temp_c', 'cpu_util_pct', 'process_rss_mb'].some(isPowerColumn)).toBe(false)
  })
})

const haveChromium = requireTool('html report in Chromium', existsSync(CHROMIUM), `${CHROMIUM} is missing`, "install Debian's chromium package; .ci/run does")

describe.skipIf(!haveChromium)('html report in Chromium', () => {
  let dir: string
  let html: string
  let context: BrowserContext
  let page: Page
  let reportFile: string
  const consoleErrors: string[] = []
  const pageErrors: string[] = []
  const requests: string[] = []
  const dialogs: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llem-html-'))
    const runDir = join(dir, 'run')
    const results = writeSweepRun(runDir)
    for (const r of results) expect(aggregatedResultSchema.safeParse(r).success).toBe(true)
    const stdout = captureStream()
    const reporter = createHtml(makeContext({ runDir, stdout: stdout.stream }))
    for (const r of results) await reporter.onExperimentEnd?.({ id: r.experiment_id, name: r.experiment_name } as ExperimentInfo, r)
    await reporter.onRunEnd?.({ runId: 'run-html', runDir, results, skipped: [], durationMs: 83_000, status: 'failed', repeats: [] } satisfies RunSummary)
    expect(stdout.text()).toBe(`HTML report: ${join(runDir, 'report.html')}\n`)
    reportFile = pathToFileURL(join(runDir, 'report.html')).href
    html = readFileSync(join(runDir, 'report.html'), 'utf8')

    // a fresh profile each time: nothing cached, nothing remembered from another run
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS })
    // every request is answered here: the report document (served, or read from disk) and nothing else
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url === REPORT_URL) return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html })
      if (url === reportFile) return route.continue()
      return route.abort('blockedbyclient')
    })
    page = context.pages()[0] ?? (await context.newPage())
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && consoleErrors.push(`${m.type()}: ${m.text()}`))
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('request', (r) => requests.push(r.url()))
    page.on('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()))
    await page.setViewportSize({ width: 1400, height: 900 })
    await page.goto(REPORT_URL, { waitUntil: 'load' })
  })

  afterAll(async () => {
    await context?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('is one file that names nothing to fetch', () => {
    expect(html).not.toMatch(/\b(src|srcset|xlink:href)\s*=/i)
    expect(html).not.toMatch(/@import|url\(|https?:\/\//i)
    for (const [, href] of html.matchAll(/\bhref="([^"]*)"/g)) expect(href).toMatch(/^(#exp-\d+|data:,)$/)
  })

  it('renders with no console error, no page error, no dialog and no request but its own document', async () => {
    expect(await page.title()).toBe('llem report run-html')
    expect(consoleErrors).toEqual([])
    expect(pageErrors).toEqual([])
    expect(dialogs).toEqual([])
    expect(requests).toEqual([REPORT_URL])
  })

  it('sorts the table when a header is clicked: numbers by value, empty cells last', async () => {
    const order = () => page.$$eval('table.results tbody tr', (rows) => rows.map((r) => r.getAttribute('data-experiment-id')))
    expect(await order()).toEqual([...SWEEP.map((p) => sweepId(p.concurrency)), 'tiny-prefill-long', 'tiny-prefill-ef901234'])
    const header = page.locator('table.results th', { hasText: 'J/token' })
    await header.locator('button').click()
    await expect.poll(() => header.getAttribute('aria-sort')).toBe('ascending')
    expect(await order()).toEqual(['tiny-decode-c2', 'tiny-decode-c4', 'tiny-decode-c8', 'tiny-decode-c1', 'tiny-prefill-long', 'tiny-prefill-ef901234'])
    await header.locator('button').click()
    expect(await header.getAttribute('aria-sort')).toBe('descending')
    expect(await order()).toEqual(['tiny-prefill-long', 'tiny-decode-c1', 'tiny-decode-c8', 'tiny-decode-c4', 'tiny-decode-c2', 'tiny-prefill-ef901234'])
    // the sweep key is a column of its own, and sorts as a number (8 after 4, not after 1)
    const sweep = page.locator('table.results th', { hasText: 'load.concurrency' })
    await sweep.locator('button').click()
    expect(await header.getAttribute('aria-sort')).toBeNull()
    // ties keep the order they had: three experiments ran at concurrency 1
    expect(await order()).toEqual(['tiny-prefill-long', 'tiny-decode-c1', 'tiny-prefill-ef901234', 'tiny-decode-c2', 'tiny-decode-c4', 'tiny-decode-c8'])
    const cells = await page.$$eval('table.results tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent))
    expect(cells).toEqual(['1', '1', '1', '2', '4', '8'])
  })

  it('draws both Pareto charts with the frontier points highlighted and joined, per bench', async () => {
    const charts = page.locator('svg.pareto-chart')
    expect(await charts.count()).toBe(2)
    const frontier = (i: number) => charts.nth(i).locator('circle[data-frontier="true"]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-experiment-id')).sort())
    const dominated = (i: number) => charts.nth(i).locator('circle[data-frontier="false"]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-experiment-id')).sort())
    // ITL chart: c1 and c2 on the sweep's frontier; the other bench's single point is its own frontier
    expect(await frontier(0)).toEqual(['tiny-decode-c1', 'tiny-decode-c2', 'tiny-prefill-long'])
    expect(await dominated(0)).toEqual(['tiny-decode-c4', 'tiny-decode-c8'])
    expect(await frontier(1)).toEqual(['tiny-decode-c2', 'tiny-decode-c4', 'tiny-prefill-long'])
    expect(await dominated(1)).toEqual(['tiny-decode-c1', 'tiny-decode-c8'])
    for (const i of [0, 1]) {
      const lines = charts.nth(i).locator('polyline.frontier-line')
      expect(await lines.count()).toBe(1)
      expect((await lines.getAttribute('points'))!.split(' ')).toHaveLength(2)
      expect(await charts.nth(i).isVisible()).toBe(true)
    }
    // the failed experiment has no point
    expect(await page.locator('svg.pareto-chart circle[data-experiment-id="tiny-prefill-ef901234"]').count()).toBe(0)
  })

  it('the time-energy trade-off: one section per bench with two settings or more, E2E p50 and p99 charts, and no best setting without an SLO', async () => {
    const sections = page.locator('section.trade-off')
    expect(await sections.count()).toBe(1)
    // the bench's name is text, never markup
    expect(await sections.first().locator('h3').textContent()).toBe(HOSTILE_BENCH)
    const charts = sections.first().locator('svg.trade-off-chart')
    expect(await charts.count()).toBe(2)
    // every sweep point has the fixture's one E2E latency: the lowest J/token (concurrency 2) beats the rest
    for (const i of [0, 1]) {
      expect(await charts.nth(i).locator('circle[data-frontier="true"]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-task-hash')))).toEqual(['decode-c2-0123456789'])
      expect(await charts.nth(i).locator('circle[data-frontier="false"]').count()).toBe(3)
      expect(await charts.nth(i).isVisible()).toBe(true)
    }
    expect(await sections.first().locator('p.best').textContent()).toMatch(/No setting meets the SLO: no SLO set/)
    expect(await sections.first().locator('table.trade-off tbody tr').count()).toBe(4)
  })

  it('draws one power timeline per measured experiment, power columns only, downsampled', async () => {
    const ids = await page.locator('svg.timeline').evaluateAll((s) => s.map((x) => x.getAttribute('data-experiment-id')))
    expect(ids).toEqual([...SWEEP.map((p) => sweepId(p.concurrency)), 'tiny-prefill-long'])
    const first = page.locator(`svg.timeline[data-experiment-id="${sweepId(1)}"]`)
    expect(await first.getAttribute('data-samples')).toBe(String(LONG_ROWS))
    const series = await first.locator('polyline.power-line').evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-series'), Number(l.getAttribute('data-points'))]))
    expect(series.map((s) => s[0])).toEqual(['gpu0_power_w', 'cpu_estimated_power_w'])
    for (const [, n] of series) {
      expect(n).toBeGreaterThan(100)
      expect(n).toBeLessThanOrEqual(400)
    }
    expect(await first.locator('rect.steady-state').count()).toBe(1)
    const box = await first.boundingBox()
    expect(box!.width).toBeGreaterThan(300)
  })

  it('shows warnings as text, escaped, and the failed experiment with its error', async () => {
    const warnings = page.locator(`section[data-experiment-id="${sweepId(8)}"] ul.warnings li`)
    expect(await warnings.allTextContents()).toEqual([HOSTILE_WARNING, 'only 7 probe samples in the measured window'])
    expect(await warnings.first().isVisible()).toBe(true)
    // the bench name's markup stayed text: no <b> element anywhere, the name reads as written
    expect(await page.locator('b').count()).toBe(0)
    expect(await page.locator(`section[data-experiment-id="${sweepId(1)}"] h3`).textContent()).toBe(`${HOSTILE_BENCH} [load.concurrency=1]`)
    const failed = page.locator('section[data-experiment-id="tiny-prefill-ef901234"]')
    expect(await failed.locator('.error').textContent()).toBe('MODEL_NOT_FOUND during model_load: models/missing.gguf does not exist')
    expect(await failed.locator('svg').count()).toBe(0)
    expect(await page.locator('table.results tr.failed .badge').textContent()).toBe('failed')
    // the warning count in the table leads to the experiment's section
    await page.locator(`tr[data-experiment-id="${sweepId(8)}"] a.warn-count`).click()
    expect(new URL(page.url()).hash).toBe('#exp-3')
  })

  it('opens from disk the same way, and a full-page screenshot is taken', async () => {
    const local = await context.newPage()
    const errors: string[] = []
    const seen: string[] = []
    local.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    local.on('pageerror', (e) => errors.push(e.message))
    local.on('request', (r) => seen.push(r.url()))
    await local.goto(reportFile, { waitUntil: 'load' })
    expect(errors).toEqual([])
    expect(seen).toEqual([reportFile])
    expect(await local.locator('svg.timeline').count()).toBe(5)
    await page.goto(REPORT_URL, { waitUntil: 'load' })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
    const png = readFileSync(SCREENSHOT)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(png.length).toBeGreaterThan(50_000)
    await local.close()
  })
})
