/** Each run's span tree, built when asked for and rebuilt only after that run's spans change. */
import type { RunStore } from "./RunStore.js"
import { type TraceTree, buildTree } from "./TraceTree.js"

export class TraceTrees {
  private readonly cache = new Map<string, TraceTree>()

  constructor(private readonly store: RunStore) {
    store.onDidChange((runId) => {
      if (runId === undefined) this.cache.clear()
      else this.cache.delete(runId)
    })
  }

  get(runId: string): TraceTree {
    const cached = this.cache.get(runId)
    if (cached !== undefined) return cached
    const tree = buildTree(this.store.spans(runId))
    this.cache.set(runId, tree)
    return tree
  }
}
