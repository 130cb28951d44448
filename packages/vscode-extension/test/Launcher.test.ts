import { describe, expect, it } from "vitest"
import { launch } from "../src/Launcher.js"

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe("launch", () => {
  it("reports output and the exit code", async () => {
    let output = ""
    const launched = launch({ command: process.execPath, args: ["-e", "console.log('hello'); process.exit(3)"] }, { cwd: process.cwd(), env: process.env, onOutput: (text) => (output += text) })
    expect(await launched.exited).toEqual({ code: 3, signal: undefined })
    expect(output).toContain("hello")
  })

  it.skipIf(process.platform === "win32")("stops the workflow and the processes it started", async () => {
    let output = ""
    const script = "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' }); console.log('helper ' + c.pid); setTimeout(() => {}, 60000)"
    const launched = launch({ command: process.execPath, args: ["-e", script] }, { cwd: process.cwd(), env: process.env, onOutput: (text) => (output += text) })
    const deadline = Date.now() + 10_000
    while (!/helper \d+/.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    const helper = Number(/helper (\d+)/.exec(output)![1])
    expect(alive(helper)).toBe(true)
    await launched.stop(2_000)
    expect((await launched.exited).signal).toBe("SIGTERM")
    const gone = Date.now() + 5_000
    while (alive(helper) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(alive(helper)).toBe(false)
  })
})
