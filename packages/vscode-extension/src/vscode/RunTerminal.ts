/**
 * A workflow run shown in a terminal: a pseudoterminal in front of the child process, so its output
 * is visible and closing the terminal stops the run.
 */
import * as vscode from "vscode"
import { type Launched, launch } from "../Launcher.js"
import type { LaunchCommand } from "../Workflows.js"

export interface RunTerminal {
  readonly launched: Launched
  readonly terminal: vscode.Terminal
}

export const startRunTerminal = (name: string, command: LaunchCommand, cwd: string, env: NodeJS.ProcessEnv): RunTerminal => {
  const write = new vscode.EventEmitter<string>()
  // Output written before the terminal opens would be dropped, so it waits here until then.
  let pending: Array<string> | undefined = []
  const emit = (text: string): void => {
    const crlf = text.replace(/\r?\n/g, "\r\n")
    if (pending === undefined) write.fire(crlf)
    else pending.push(crlf)
  }
  emit(`> ${[command.command, ...command.args].join(" ")}\n\n`)
  const launched = launch(command, { cwd, env, onOutput: emit })
  void launched.exited.then(({ code, signal }) => {
    emit(`\n[${code === undefined ? `stopped by ${signal ?? "a signal"}` : `exited with code ${code}`}]\n`)
  })
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    open: () => {
      for (const text of pending ?? []) write.fire(text)
      pending = undefined
    },
    close: () => {
      void launched.stop()
    }
  }
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon("play") })
  return { launched, terminal }
}
