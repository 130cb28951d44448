/**
 * @aixfx/rag-lancedb — retrieval on embedded LanceDB: loaders, chunking, embedders, the store with
 * vector / full-text / hybrid search, ingestion with progress, and the Retriever agent.
 */
export * as Chunker from "./Chunker.js"
export * as Embedder from "./Embedder.js"
export * as HashingEmbedder from "./HashingEmbedder.js"
export * as Ingest from "./Ingest.js"
export * as LanceDbStore from "./LanceDbStore.js"
export * as Loader from "./Loader.js"
export * as OpenAiEmbedder from "./OpenAiEmbedder.js"
export * from "./RagError.js"
export * as Retriever from "./Retriever.js"
