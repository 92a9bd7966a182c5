import type { z } from 'zod'
import type { warmupResultSchema } from '../results/schema.js'
export type WarmupResult = z.infer<typeof warmupResultSchema>
