package bulwark.config;

public record LimitsConfig(
    @Doc(value = "Largest request head (request line plus headers). Over it: 431 problem+json.", unit = "size", dflt = "16KiB") ByteSize maxHeaderBytes,
    @Doc(value = "Largest request body. Over it: 413 problem+json (at once when Content-Length says so, else when the streamed body crosses it). 0 means no limit.", unit = "size", dflt = "10MiB") ByteSize maxBodyBytes,
    @Doc(value = "A client that has not sent its whole request head by then is closed (slowloris).", unit = "duration", dflt = "10s") java.time.Duration requestHeaderTimeout,
    @Doc(value = "A client connection idle for this long is closed.", unit = "duration", dflt = "60s") java.time.Duration idleTimeout) {}
