package bulwark.config;

import java.time.Duration;
import java.util.Map;

public record TracingConfig(
    @Doc(
            value =
                "Trace requests: a server span per request, a client span per upstream try, W3C traceparent/tracestate in and out, OTLP export.",
            dflt = "false")
        boolean enabled,
    @Doc(
            value =
                "The OTLP collector: http://host:4318 for http/protobuf (the /v1/traces path is added unless present), http://host:4317 for grpc. http:// or https://.",
            dflt = "http://127.0.0.1:4318")
        String endpoint,
    @Doc(value = "OTLP transport: http/protobuf or grpc.", dflt = "http/protobuf")
        TracingProtocol protocol,
    @Doc(
            value =
                "Share of new traces sampled; a request that carries a parent (traceparent) follows its parent's sampled flag.",
            unit = "percent",
            dflt = "10%")
        Percent sampleRatio,
    @Doc(value = "service.name of the spans.", dflt = "bulwark") String serviceName,
    @Doc(
            value =
                "Headers sent with every export, e.g. the collector's Authorization; write secrets as ${ENV}. Values are never logged.",
            unit = "map of header name to value")
        Map<String, String> headers,
    @Doc(
            value =
                "An export (one batch) that has not completed by then fails; its spans count as dropped (export_failed).",
            unit = "duration",
            dflt = "10s")
        Duration exportTimeout,
    @Doc(
            value =
                "Finished spans waiting for export, at most; past it new spans are dropped (queue_full), never waited for.",
            dflt = "8192")
        int maxQueueSize,
    @Doc(
            value =
                "Spans sent in one export, at most; at most maxQueueSize. Larger than OpenTelemetry's 512: each export costs about 1 ms of CPU in the HTTP client, and a busy gateway would make dozens a second.",
            dflt = "2048")
        int maxExportBatchSize,
    @Doc(
            value = "Longest wait between two exports while spans are queued.",
            unit = "duration",
            dflt = "5s")
        Duration scheduleDelay) {

  /**
   * The header values (collector credentials) are masked: a config printed or audited never shows
   * them.
   */
  @Override
  public String toString() {
    Map<String, String> masked = new java.util.TreeMap<>();
    if (headers != null) headers.keySet().forEach(k -> masked.put(k, "[REDACTED]"));
    return "TracingConfig[enabled="
        + enabled
        + ", endpoint="
        + endpoint
        + ", protocol="
        + protocol
        + ", sampleRatio="
        + sampleRatio
        + ", serviceName="
        + serviceName
        + ", headers="
        + masked
        + ", exportTimeout="
        + exportTimeout
        + ", maxQueueSize="
        + maxQueueSize
        + ", maxExportBatchSize="
        + maxExportBatchSize
        + ", scheduleDelay="
        + scheduleDelay
        + "]";
  }
}
