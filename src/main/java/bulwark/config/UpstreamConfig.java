package bulwark.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

public record UpstreamConfig(
    @Doc(value = "The instances behind this upstream.", required = true) List<TargetConfig> targets,
    @Doc(value = "How a target is chosen.", dflt = "round_robin", oneOf = {"round_robin", "least_request", "consistent_hash", "random"}) String balancer,
    @Doc(value = "The key consistent_hash hashes on: client_ip, header:NAME, cookie:NAME or path. Only with balancer consistent_hash.", dflt = "client_ip") String hashOn,
    @Doc("Timeouts toward this upstream.") TimeoutsConfig timeouts,
    @Doc(value = "Pooled connections per target, per event loop.", dflt = "256") int maxConnectionsPerTarget,
    @Doc(value = "Active and passive health checks.", later = "resilience") JsonNode healthCheck,
    @Doc(value = "Circuit breaker.", later = "resilience") JsonNode circuitBreaker,
    @Doc(value = "Retries.", later = "resilience") JsonNode retry) {}
