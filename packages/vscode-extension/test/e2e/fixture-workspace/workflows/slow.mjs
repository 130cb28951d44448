// A workflow that would take two minutes and starts a helper process: Stop Run must end both.
import { spawn } from "node:child_process"
import { setTimeout as sleep } from "node:timers/promises"

const helper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" })
console.log(`slow: started helper ${helper.pid}`)
for (let second = 0; second < 120; second++) {
  console.log(`slow: ${second} s`)
  await sleep(1_000)
}
