package bulwark.observe.tracing;

import bulwark.config.TracingConfig;
import bulwark.config.TracingProtocol;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporterBuilder;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/** The OTLP span exporter observability.tracing asks for: gRPC, or HTTP over the JDK's client. */
final class OtlpExporters {
  private OtlpExporters() {}

  private static final String HTTP_SENDER_PROPERTY =
      "io.opentelemetry.exporter.internal.http.HttpSenderProvider";
  private static final String JDK_HTTP_SENDER =
      "io.opentelemetry.exporter.sender.jdk.internal.JdkHttpSenderProvider";

  static SpanExporter of(TracingConfig cfg) {
    if (cfg.protocol() == TracingProtocol.GRPC) {
      OtlpGrpcSpanExporterBuilder b =
          OtlpGrpcSpanExporter.builder()
              .setEndpoint(cfg.endpoint())
              .setTimeout(cfg.exportTimeout())
              .setMeterProvider(MeterProvider.noop());
      cfg.headers().forEach(b::addHeader);
      return b.build();
    }
    // both senders are on the class path (OkHttp for gRPC): OTLP/HTTP takes the JDK's unless the
    // operator chose otherwise with the same system property
    if (System.getProperty(HTTP_SENDER_PROPERTY) == null)
      System.setProperty(HTTP_SENDER_PROPERTY, JDK_HTTP_SENDER);
    OtlpHttpSpanExporterBuilder b =
        OtlpHttpSpanExporter.builder()
            .setEndpoint(tracesUrl(cfg.endpoint()))
            .setTimeout(cfg.exportTimeout())
            .setMeterProvider(MeterProvider.noop());
    cfg.headers().forEach(b::addHeader);
    return b.build();
  }

  /** The OTLP/HTTP traces URL of a collector's base endpoint. */
  static String tracesUrl(String endpoint) {
    String e = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    return e.endsWith("/v1/traces") ? e : e + "/v1/traces";
  }
}
