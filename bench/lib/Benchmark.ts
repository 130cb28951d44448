/**
 * What every benchmark module exports, and what the runner prints and writes to RESULTS.md.
 */
export interface Section {
  readonly title: string
  readonly rows: ReadonlyArray<Record<string, string | number>>
  readonly notes?: ReadonlyArray<string>
  /** One line per target: the figure, the target and "met" or "MISSED"; the runner repeats them at the end. */
  readonly verdicts?: ReadonlyArray<string>
}

export interface RunOptions {
  /** CI's mode: fewer sizes and rounds, well under a minute in all. */
  readonly quick: boolean
}

export interface Benchmark {
  readonly name: string
  readonly run: (options: RunOptions) => Promise<Section>
}
