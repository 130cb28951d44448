/** The packages an in-process program must not load: they belong to gRPC, the OTel SDK and Langfuse only. */
export const HEAVY = [
  "@grpc/grpc-js",
  "@grpc/proto-loader",
  "protobufjs",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-trace-node",
  "@opentelemetry/sdk-metrics",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/exporter-trace-otlp-proto",
  "@opentelemetry/exporter-metrics-otlp-http",
  "@opentelemetry/exporter-metrics-otlp-proto",
  "@opentelemetry/resources",
  "@langfuse/otel",
  "@langfuse/core"
]

/** The heavy packages among resolved module URLs (`file:///…/node_modules/<pkg>/…`). */
export const heavyIn = (urls) => HEAVY.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`)))
