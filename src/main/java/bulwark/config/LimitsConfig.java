package bulwark.config;

public record LimitsConfig(
    @Doc(
            value = "Largest request head (request line plus headers). Over it: 431 problem+json.",
            unit = "size",
            dflt = "16KiB")
        ByteSize maxHeaderBytes,
    @Doc(
            value =
                "Largest request body. Over it: 413 problem+json (at once when Content-Length says so, else when the streamed body crosses it). 0 means no limit.",
            unit = "size",
            dflt = "10MiB")
        ByteSize maxBodyBytes,
    @Doc(
            value =
                "A client that has not sent its whole request head by then is closed (slowloris).",
            unit = "duration",
            dflt = "10s")
        java.time.Duration requestHeaderTimeout,
    @Doc(
            value = "A client connection idle for this long is closed.",
            unit = "duration",
            dflt = "60s")
        java.time.Duration idleTimeout,
    @Doc(
            value =
                "A client that sends no request-body bytes for this long while its body is still expected gets 408 problem+json (if no response has started) and its connection is closed (slow body uploads). Time the upstream holds the body back (back-pressure) does not count. gRPC requests (content-type application/grpc) are exempt: their streams may idle by design, and grpc-timeout and the route timeout bound them.",
            unit = "duration",
            dflt = "30s")
        java.time.Duration bodyReadTimeout) {}
