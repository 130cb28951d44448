/**
 * Errors as the cluster's RPCs carry them: the entity's error schema is core's union, so an
 * error of another tag (an application's own, or a durable run's) crosses as
 * `UnregisteredAgentError` with its tag, message and fields, nothing lost.
 */
import { type AgentError, CoreAgentError, UnregisteredAgentError } from "@aixfx/core/AgentError"
import { Schema } from "effect"

const isCore = Schema.is(CoreAgentError)

export const toCoreError = (error: AgentError): CoreAgentError => {
  if (isCore(error)) return error
  const { _tag, ...rest } = error as unknown as { readonly _tag: string; readonly [field: string]: unknown }
  const fields = JSON.parse(JSON.stringify(rest)) as typeof UnregisteredAgentError.Type["fields"]
  return new UnregisteredAgentError({ tag: _tag, fields, message: error.message })
}
