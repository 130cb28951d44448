/**
 * Errors as the cluster's RPCs carry them: the entity's error schema is core's union, so an
 * error of another tag (an application's own, or a durable run's) crosses as
 * `UnregisteredAgentError` with its tag, message and fields, nothing lost.
 */
import { type AgentError, CoreAgentError, UnregisteredAgentError } from "@aixfx/core/AgentError"
import { type JsonObject, toJson } from "@aixfx/core/Json"
import { Schema } from "effect"

const isCore = Schema.is(CoreAgentError)

export const toCoreError = (error: AgentError): CoreAgentError => {
  if (isCore(error)) return error
  const { _tag, ...fields } = error
  return new UnregisteredAgentError({ tag: _tag, fields: toJson(fields) as JsonObject, message: error.message })
}
