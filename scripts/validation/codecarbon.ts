/** docs/validation.md: llem's emissions.csv and carbon intensities against CodeCarbon (test/fixtures/peers/codecarbon.ts). */
import { compareEmissionsCsv, compareIntensities, INTENSITY_TOL_G } from '../../test/fixtures/peers/codecarbon.js'
import { pythonEnv } from '../../test/fixtures/python-envs.js'
import { maxOf } from '../../core/stats/extent.js'
import { table, yes, type ValidationSection } from './section.js'

export const codecarbonSection: ValidationSection = {
  id: 'codecarbon',
  title: "CodeCarbon: llem's emissions.csv through CodeCarbon's own code, and its carbon intensities",
  async run() {
    const python = pythonEnv('peers')
    const csv = compareEmissionsCsv(python)
    const ci = compareIntensities(python)
    const modes = (['append', 'update'] as const).map((m) => {
      const r = csv.modes[m]
      return [`\`${m}\``, yes(r.headers_recognised), r.files.some((f) => f.endsWith('.bak')) ? '**yes**' : 'no', r.rows, r.codecarbon_rows, yes(r.llem_rows_intact)]
    })
    const modesOk = (['append', 'update'] as const).every((m) => {
      const r = csv.modes[m]
      return r.headers_recognised && r.files.length === 1 && r.llem_rows_intact && r.codecarbon_rows === 1
    })
    const columnsOk = JSON.stringify(csv.llemColumns) === JSON.stringify(csv.columns) && csv.rows.every((r) => r.verdict !== 'differs')
    const diffs = ci.rows.filter((r) => !r.agree)
    const maxDiff = maxOf(ci.rows.map((r) => Math.abs(r.diffG ?? Infinity)))
    const intensityOk = diffs.length === 0 && ci.worldAverage.llem === ci.worldAverage.codecarbon && ci.llemOnly.length === 0
    const years = new Map<string, number>()
    for (const r of ci.rows) years.set(String(r.year), (years.get(String(r.year)) ?? 0) + 1)
    const markdown = `
CodeCarbon ${csv.codecarbon}, run here with no network. Run in \`test/codecarbon-compat.test.ts\`.

**emissions.csv read by CodeCarbon.** llem's \`codecarbon\` reporter writes a file for two experiments
(a GPU one in France, a CPU-only one without a country). A real CPU-only \`OfflineEmissionsTracker\`
run (country FRA, 2 s of a busy loop) gives CodeCarbon's own row, and CodeCarbon's \`FileOutput\`, the
code that reads an existing emissions.csv before adding to it, adds that row to a copy of llem's file
in each of its modes. It first compares the file's header with its \`EmissionsData\` fields and, when
they differ, renames the file to \`.bak\` and starts a new one; \`update\` also reads the whole file with
\`pandas.read_csv\` and writes it back. llem's columns are CodeCarbon's ${csv.columns.length}, in its order:
${yes(JSON.stringify(csv.llemColumns) === JSON.stringify(csv.columns))}.

${table(['mode', 'header recognised', 'backed up', 'rows after', "CodeCarbon's rows", "llem's rows unchanged"], modes)}

**Column types.** For every column, the pandas dtype of the cells written in it (\`pd.read_csv\`, the
way CodeCarbon's dashboard loads the file, applied to the column's non-empty cells, since a column
empty in some rows reads as float64 whatever it holds), in llem's file and in the file CodeCarbon
wrote itself on this machine, beside the type CodeCarbon's \`EmissionsData\` declares. Where CodeCarbon
wrote nothing on this CPU-only machine (\`gpu_model\`), llem's cells must match the declared type.

${table(['column', 'declared', "CodeCarbon's file", "llem's file", 'verdict'], csv.rows.map((r) => [`\`${r.column}\``, r.declared, r.codecarbon, r.llem, r.verdict === 'differs' ? '**differs**' : r.verdict]))}

llem leaves empty what it does not measure or know (no water model, no cloud detection, no Python of
its own), as docs/formats.md says: \`${csv.rows.filter((r) => r.verdict === 'llem leaves it empty').map((r) => r.column).join('`, `')}\`.
Integral numbers in CodeCarbon's float columns are written with a decimal point (\`39.0\`), as Python
writes floats: before this comparison llem wrote \`39\` and \`1\`, and pandas read its \`duration\` and \`pue\`
as int64 where CodeCarbon's are float64 (fixed in \`plugins/reporters/codecarbon.ts\`).

**Carbon intensity.** For each of the ${ci.rows.length} countries in CodeCarbon's
\`data/private_infra/global_energy_mix.json\` (Our World in Data figures; years: ${[...years].sort().map(([y, n]) => `${y} for ${n}`).join(', ')}),
the g CO2eq/kWh CodeCarbon's own \`Emissions.get_country_emissions\` applies to 1 kWh (no region),
against llem's emissions for 1 kWh there (\`carbonIntensity\` and \`emissionsKg\` in
\`core/measure/emissions.ts\`, table \`core/measure/carbon-intensity-by-country.csv\`), and the country
name and data year llem's results give as the source against CodeCarbon's. Tolerance
${INTENSITY_TOL_G} g/kWh (float rounding); names and years must be equal. Countries compared: ${ci.rows.length}; differing: ${diffs.length}${diffs.length ? ` (${diffs.map((d) => `${d.iso}: llem ${d.llem}, CodeCarbon ${d.codecarbon}, ${d.year}`).join('; ')})` : ''};
largest difference ${maxDiff.toExponential(1)} g/kWh; countries only llem has: ${ci.llemOnly.length ? ci.llemOnly.join(', ') : 'none'}. Without a country both use the
world average: llem ${ci.worldAverage.llem}, CodeCarbon ${ci.worldAverage.codecarbon} g/kWh. One behaviour differs by design:
CodeCarbon answers a country it has no data for with the world average and a log warning, llem
refuses the configuration as bad input. llem's result files name the source as "via CodeCarbon 3.3.0";
the pinned ${ci.codecarbon} ships the same figures for every country.

<details><summary>All ${ci.rows.length} countries</summary>

${table(['ISO', 'country', 'year', 'CodeCarbon g/kWh', 'llem g/kWh', 'equal'], ci.rows.map((r) => [r.iso, r.name, r.year, Number(r.codecarbon.toFixed(6)), r.llem, yes(r.agree)]))}

</details>
`
    return { markdown, agree: modesOk && columnsOk && intensityOk }
  },
}
