import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { routerCostOptimization } from "./main.js"

describe("router-cost-optimization", () => {
  it("sends simple requests to the cheap route and complex ones to the expensive route", async () => {
    const routes = await runExample("router-cost-optimization", routerCostOptimization)
    expect(routes).toEqual(["simple", "complex", "simple", "complex"])
  })
})
