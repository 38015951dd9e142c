package bulwark.config;

import java.time.Duration;

/** State shared by several gateway instances. */
public record ClusterConfig(
    @Doc(
            value = "Redis URI (redis://host:port[/db]) for cluster-scope rate limits.",
            required = true)
        String redis,
    @Doc(
            value = "A Redis call that has not answered by then counts as a Redis failure.",
            unit = "duration",
            dflt = "100ms")
        Duration timeout) {}
