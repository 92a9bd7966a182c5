/** The scripted Redfish BMC in a process of its own, so its CPU time is not counted as the probe's. */
import { startRedfishServer } from '../../test/fixtures/redfish-server.js'

const bmc = await startRedfishServer({ steps: [{ at: 0, w: 350 }], energy: 'kWh', sensingInterval: process.argv[2] ?? 'PT1S', user: 'perf', password: 'perf-not-a-secret' })
process.stdout.write(JSON.stringify({ url: bmc.url, certFile: bmc.certFile }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => void bmc.close().then(() => process.exit(0)))
