/** The scripted SSE server as its own process (one core), for the client benchmark: prints its URL. */
import { startSseServer } from '../../test/fixtures/sse-server.js'

const gapMs = Number(process.argv[2] ?? 0)
const tokens = Number(process.argv[3] ?? 1000)
const server = await startSseServer(() => ({ tokens, gapMs, finalUsage: true }))
process.stdout.write(server.url + '\n')
process.on('SIGTERM', () => server.close().then(() => process.exit(0)))
