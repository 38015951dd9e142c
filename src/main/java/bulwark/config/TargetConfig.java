package bulwark.config;

public record TargetConfig(
    @Doc(value = "Base URL of the target: http://host:port or https://host:port, no path.", required = true) String url,
    @Doc(value = "Relative share of traffic (round_robin, random, least_request, consistent_hash).", dflt = "1") int weight) {}
