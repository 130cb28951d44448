import { LocalRuntime } from "@aixfx/core"
import { runtimeSuite } from "./runtimeSuite.js"

runtimeSuite("LocalRuntime", (options) => LocalRuntime.layer(options))
