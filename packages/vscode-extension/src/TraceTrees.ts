/** Each run's span tree, built when asked for and rebuilt only after that run's spans change. */
import type { RunStore } from "./RunStore.js"
import { type TraceTree, buildTree } from "./TraceTree.js"

export class TraceTrees {
  private readonly cache = new Map<string, TraceTree>()
  private foldWrappers = true

  constructor(private readonly store: RunStore) {
    store.onDidChange((runId) => {
      if (runId === undefined) this.cache.clear()
      else this.cache.delete(runId)
    })
  }

  /** Whether runtime wrapper chains fold into one node (the Trace view's toggle). */
  get folding(): boolean {
    return this.foldWrappers
  }

  setFolding(fold: boolean): void {
    this.foldWrappers = fold
    this.cache.clear()
  }

  get(runId: string): TraceTree {
    const cached = this.cache.get(runId)
    if (cached !== undefined) return cached
    const tree = buildTree(this.store.spans(runId), { foldWrappers: this.foldWrappers })
    this.cache.set(runId, tree)
    return tree
  }
}
