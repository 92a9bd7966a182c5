/**
 * Whole-node probe costs (redfish against the scripted HTTPS BMC in its own process, ipmi against the
 * stand-in ipmitool): a read by the harness (readEnergy + sample: the last answer, no I/O; target
 * median well under 1 ms) and the CPU the probe adds to a 10 ms timeline while it polls the BMC in the
 * background at the BMC's own interval (target < 1% of one core), beside the timeline's own floor.
 * The BMC cannot be read in under a millisecond (a network round trip, or an ipmitool process): that
 * is why it is polled in the background. ipmitool's own CPU time is its process's, not counted here.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { ProbeSession } from '../../core/probes/types.js'
import { ipmiProbe } from '../../plugins/probes/bmc/ipmi.js'
import { redfishProbe } from '../../plugins/probes/bmc/redfish.js'
import { createFakeIpmitool } from '../../test/fixtures/fake-ipmitool.js'
import { timelineCpu } from './sampling-cost.js'
import { median, REPO } from './util.js'

function readCostUs(s: ProbeSession): number {
  const ns: number[] = []
  for (let i = 0; i < 50_000; i++) {
    const t0 = process.hrtime.bigint()
    s.readEnergy()
    s.sample()
    ns.push(Number(process.hrtime.bigint() - t0))
  }
  return median(ns) / 1000
}

export async function bmcCosts(seconds = 10) {
  const peer = spawn(process.execPath, [path.join(REPO, 'node_modules/jiti/lib/jiti-cli.mjs'), path.join(REPO, 'benchmarks/perf/redfish-peer.ts'), 'PT1S'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const first = await new Promise<string>((resolve) => createInterface({ input: peer.stdout! }).once('line', resolve))
  const { url, certFile } = JSON.parse(first) as { url: string; certFile: string }
  process.env.LLEM_REDFISH_USER = 'perf'
  process.env.LLEM_REDFISH_PASSWORD = 'perf-not-a-secret'
  const floor = await timelineCpu([], seconds)
  const rf = await redfishProbe.open({ url, caFile: certFile })
  const rfRead = readCostUs(rf)
  const rfRun = await timelineCpu([rf], seconds)
  const rfInterval = rf.describe().polling_interval_ms as number
  await rf.close()
  peer.stdin!.end()

  const fake = createFakeIpmitool()
  fake.setWatts(350)
  const ip = await ipmiProbe.open({ command: fake.command })
  const ipRead = readCostUs(ip)
  const ipRun = await timelineCpu([ip], seconds)
  await ip.close()
  fake.cleanup()
  const out = {
    timeline_floor_cpu_pct: floor.pct,
    redfish_read_median_us: rfRead, redfish_polling_interval_ms: rfInterval, redfish_added_cpu_pct: rfRun.pct - floor.pct,
    ipmi_read_median_us: ipRead, ipmi_polling_interval_ms: 1000, ipmi_added_cpu_pct: ipRun.pct - floor.pct,
  }
  return { ...out, pass: rfRead < 100 && ipRead < 100 && out.redfish_added_cpu_pct < 1 && out.ipmi_added_cpu_pct < 1 }
}
