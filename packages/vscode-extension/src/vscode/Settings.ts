/** The extension's settings (package.json `contributes.configuration`), read in one place. */
import * as vscode from "vscode"
import { DEFAULT_GLOBS } from "../Workflows.js"

export interface Settings {
  readonly receiverPort: number
  readonly workflowGlobs: ReadonlyArray<string>
  readonly captureContent: boolean
  readonly maxRuns: number
  /** The durable run store setting as written (empty: $AIXFX_DB, else aixfx.db). */
  readonly durableStore: string
}

export const SECTION = "aixfx"

export const readSettings = (): Settings => {
  const config = vscode.workspace.getConfiguration(SECTION)
  const globs = config.get<Array<string>>("workflows.globs")
  return {
    receiverPort: clamp(config.get<number>("receiver.port") ?? 0, 0, 65_535),
    workflowGlobs: globs !== undefined && globs.length > 0 ? globs : DEFAULT_GLOBS,
    captureContent: config.get<boolean>("captureContent") ?? false,
    maxRuns: clamp(config.get<number>("runs.maxKept") ?? 20, 1, 1_000),
    durableStore: config.get<string>("durable.store") ?? ""
  }
}

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.floor(value)))
