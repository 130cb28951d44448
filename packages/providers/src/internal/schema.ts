import * as LanguageModel from "@aixfx/core/LanguageModel"

/** A schema as the providers' APIs take it: JSON Schema without the `$schema` marker. */
export const toolParameters = (schema: Parameters<typeof LanguageModel.jsonSchema>[0]): Record<string, unknown> => {
  const { $schema: _marker, ...rest } = LanguageModel.jsonSchema(schema) as unknown as Record<string, unknown>
  return rest
}
