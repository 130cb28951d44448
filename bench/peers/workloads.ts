/** What every framework implements, identically: the fan-out and the router workloads. */
export interface Peer {
  readonly name: string
  /** Builds a fan-out over `n` agents (each one model call of `latencyMs`); returns the runner. */
  readonly fanOut: (n: number, latencyMs: number) => Promise<Workload>
  /** Builds the router: classify (one model call) → dispatch to `billing` or `tech` (one model call). */
  readonly router: () => Promise<Workload>
}

export interface Workload {
  /** Runs once with `input`; resolves with the final text(s), checked by the benchmark. */
  readonly run: (input: string) => Promise<ReadonlyArray<string>>
  readonly close: () => Promise<void>
}

/** The classifier's rule, the same in every framework's scripted model. */
export const classify = (text: string): "billing" | "tech" => (text.includes("invoice") ? "billing" : "tech")

export const ROUTER_INPUTS = ["Where is my invoice for March?", "The app crashes when I log in."] as const

/** What the billing and tech agents answer, so a run can be checked end to end. */
export const answerOf = (route: "billing" | "tech"): string => `${route} answer`
