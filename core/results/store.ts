/**
 * The run directory: llem-results/<run-id>/{manifest.json, raw/<experiment>/process_<i>.json,
 * aggregated/<experiment>.json, timeseries/<experiment>.csv}. Every file is written atomically the
 * moment it exists, so a crash loses at most the experiment that was running. Each passes through
 * the redaction pass first (redact.ts): no secret reaches the run directory, whoever built the object.
 */
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from './atomic-write.js'
import { redactSecrets } from './redact.js'
import { checkSegment } from './safe-names.js'
import type { AggregatedResult, Manifest, RawProcessResult } from './schema.js'

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-').replace('Z', '')}-${randomBytes(3).toString('hex')}`
}

export class RunStore {
  constructor(readonly runDir: string) {}

  static async create(resultsDir: string, runId: string): Promise<RunStore> {
    const dir = path.join(resultsDir, runId)
    await mkdir(dir, { recursive: true })
    return new RunStore(dir)
  }

  writeManifest(m: Manifest): Promise<void> {
    return writeFileAtomic(path.join(this.runDir, 'manifest.json'), JSON.stringify(redactSecrets(m), null, 2) + '\n')
  }

  writeRaw(r: RawProcessResult): Promise<void> {
    checkSegment(r.experiment_id, this.runDir, 'experiment_id')
    return writeFileAtomic(path.join(this.runDir, 'raw', r.experiment_id, `process_${r.process_index}.json`), JSON.stringify(redactSecrets(r), null, 2) + '\n')
  }

  writeAggregated(r: AggregatedResult): Promise<void> {
    checkSegment(r.experiment_id, this.runDir, 'experiment_id')
    return writeFileAtomic(path.join(this.runDir, 'aggregated', `${r.experiment_id}.json`), JSON.stringify(redactSecrets(r), null, 2) + '\n')
  }
}
