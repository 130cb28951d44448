/**
 * The failures of the LanceDB plugin. They are local (`Data.TaggedError`); the Retriever agent maps
 * them to core's wire error `RetrievalFailed` at the agent boundary.
 */
import { Data } from "effect"

/** The embedder makes vectors of one size and the existing table stores another. */
export class DimensionMismatch extends Data.TaggedError("DimensionMismatch")<{
  readonly message: string
  readonly table: string
  readonly uri: string
  readonly tableDimensions: number
  readonly embedder: string
  readonly embedderDimensions: number
}> {
  static of(fields: {
    readonly table: string
    readonly uri: string
    readonly tableDimensions: number
    readonly embedder: string
    readonly embedderDimensions: number
  }) {
    return new DimensionMismatch({
      ...fields,
      message:
        `Table "${fields.table}" at ${fields.uri} stores ${fields.tableDimensions}-dimensional vectors, but embedder ` +
        `"${fields.embedder}" makes ${fields.embedderDimensions}-dimensional ones: use the embedder the table was built with, or another table`
    })
  }
}

/** A store option out of its range (caught when the store opens, not at the first search). */
export class InvalidStoreOption extends Data.TaggedError("InvalidStoreOption")<{
  readonly message: string
  readonly table: string
  readonly option: string
  readonly value: unknown
}> {
  static of(table: string, option: string, value: unknown, rule: string) {
    return new InvalidStoreOption({ table, option, value, message: `LanceDbStore table "${table}": ${option} must be ${rule}, got ${String(value)}` })
  }
}

/** A search or delete on a table that does not exist (yet). */
export class TableNotFound extends Data.TaggedError("TableNotFound")<{
  readonly message: string
  readonly table: string
  readonly uri: string
}> {
  static of(table: string, uri: string) {
    return new TableNotFound({ table, uri, message: `LanceDB table "${table}" does not exist at ${uri}: ingest documents first` })
  }
}

/** LanceDB itself failed (I/O, a bad filter expression, ...). */
export class StoreFailed extends Data.TaggedError("StoreFailed")<{
  readonly message: string
  readonly table: string
  readonly operation: string
  readonly reason: string
}> {
  static of(table: string, operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new StoreFailed({ table, operation, reason, message: `LanceDB ${operation} on table "${table}" failed: ${reason}` })
  }
}

/** The embedder could not embed a batch. */
export class EmbeddingFailed extends Data.TaggedError("EmbeddingFailed")<{
  readonly message: string
  readonly embedder: string
  readonly reason: string
}> {
  static of(embedder: string, reason: string) {
    return new EmbeddingFailed({ embedder, reason, message: `Embedder "${embedder}" failed: ${reason}` })
  }
}

/** A file could not be read at all (missing, a directory, no permission). */
export class LoadFailed extends Data.TaggedError("LoadFailed")<{
  readonly message: string
  readonly source: string
  readonly reason: string
}> {
  static of(source: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    return new LoadFailed({ source, reason, message: `Cannot read "${source}": ${reason}` })
  }
}

export type RagError = DimensionMismatch | InvalidStoreOption | TableNotFound | StoreFailed | EmbeddingFailed | LoadFailed
