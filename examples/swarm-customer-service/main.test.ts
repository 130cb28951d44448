import { describe, expect, it } from "vitest"
import { runExample } from "../shared/run.js"
import { swarmCustomerService } from "./main.js"

describe("swarm-customer-service", () => {
  it("hands billing and technical requests to the right specialist", async () => {
    const paths = await runExample("swarm-customer-service", swarmCustomerService)
    expect(paths).toEqual([
      ["front-desk", "billing"],
      ["front-desk", "technical"]
    ])
  })
})
