package bulwark.config;

public record AccessLogConfig(
    @Doc(value = "Write the access log.", dflt = "true") boolean enabled,
    @Doc(value = "Where to write it: stdout, or a file path (appended).", dflt = "stdout")
        String output) {}
