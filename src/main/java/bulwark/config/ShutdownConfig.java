package bulwark.config;

public record ShutdownConfig(
    @Doc(value = "After SIGTERM/SIGINT, in-flight requests get this long to finish before the process exits.", unit = "duration", dflt = "30s") java.time.Duration gracePeriod) {}
