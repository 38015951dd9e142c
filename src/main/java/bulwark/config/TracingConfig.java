package bulwark.config;

public record TracingConfig(
    @Doc(value = "Trace requests.", dflt = "false") boolean enabled,
    @Doc(value = "The OTLP collector: http://host:4318 for http/protobuf (the /v1/traces path is added), http://host:4317 for grpc.", dflt = "http://127.0.0.1:4318") String endpoint,
    @Doc(value = "OTLP transport: http/protobuf or grpc.", dflt = "http/protobuf") String protocol,
    @Doc(value = "Share of new traces sampled; a request that carries a sampled parent follows its parent.", unit = "percent", dflt = "10%") Percent sampleRatio,
    @Doc(value = "service.name of the spans.", dflt = "bulwark") String serviceName) {}
