/**
 * An application's durable workflows as one module the `aixfx` CLI can load
 * (`aixfx resume <run> --workflows ./workflows/index.ts`), so that the CLI process itself continues
 * a run: it opens the store with the application's layer and runs the run's program by its
 * workflow name. The module's default export (or its `workflows` export) is a `Workflows`.
 *
 *   export default Workflows.make({
 *     layer: (db) => App(db),                  // the application's stack over store file `db`, durable layer included
 *     programs: { "release-note": releaseNote } // each program by the name it runs under (Workflow.run / Durable.start)
 *   })
 */
import type { Layer } from "effect"
import { Effect } from "effect"
import type * as Durable from "./Durable.js"

export interface Workflows {
  /** The application's layer over the store file `filename`: its agents and models, and the durable layer (`Durable.layerSqlite({ filename })`). */
  readonly layer: (filename: string) => Layer.Layer<Durable.Durable, unknown>
  /** Each workflow's program, by the workflow name its runs were started with. */
  readonly programs: { readonly [workflow: string]: Effect.Effect<unknown, unknown, any> }
}

/** Names the module's workflows (a typed identity). */
export const make = (workflows: Workflows): Workflows => workflows

/** Whether `value` looks like a `Workflows` (what a loaded module exports). */
export const is = (value: unknown): value is Workflows =>
  typeof value === "object" && value !== null && typeof (value as Workflows).layer === "function" &&
  typeof (value as Workflows).programs === "object" && (value as Workflows).programs !== null &&
  Object.values((value as Workflows).programs).every(Effect.isEffect)
