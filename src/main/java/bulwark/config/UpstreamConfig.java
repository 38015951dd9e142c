package bulwark.config;

import java.util.List;

public record UpstreamConfig(
    @Doc(
            "The instances behind this upstream. An upstream has either targets or discovery: one of them, not both.")
        List<TargetConfig> targets,
    @Doc(
            value =
                "Targets from DNS instead of a fixed list: A/AAAA records (dns) or SRV records (srv), looked up again as their TTL runs out, at most refresh apart. A change of the answer changes the targets as a reload would: targets that stay keep their health, ejection and in-flight state; targets that go away get no new requests and finish the ones they have. A failed lookup (timeout, SERVFAIL, NXDOMAIN) or an empty answer keeps the last good targets. Targets found by DNS are http://; see docs/health.md.",
            section = true)
        DiscoveryConfig discovery,
    @Doc(
            value = "How a target is chosen.",
            dflt = "round_robin",
            oneOf = {"round_robin", "least_request", "consistent_hash", "random"})
        String balancer,
    @Doc(
            "The key consistent_hash hashes on: client_ip, header:NAME, cookie:NAME or path; client_ip when absent. Only with balancer consistent_hash: with another balancer it is an error.")
        String hashOn,
    @Doc("Timeouts toward this upstream.") TimeoutsConfig timeouts,
    @Doc(value = "Pooled connections per target, per event loop.", dflt = "256")
        int maxConnectionsPerTarget,
    @Doc(
            value =
                "Open tunnels (WebSockets) per target, per event loop. Each tunnel has an upstream connection of its own, outside the pool of maxConnectionsPerTarget, for as long as it is open, and it does not count against overload.maxInFlight; over the cap a WebSocket upgrade gets 503. Each tunnel holds two file descriptors (client and upstream).",
            dflt = "4096")
        int maxTunnelsPerTarget,
    @Doc(
            value =
                "Active and passive health checks and the health score. Absent: every target is used while it accepts requests.",
            section = true)
        HealthCheckConfig healthCheck,
    @Doc(value = "Circuit breaker (Resilience4j). Absent: none.", section = true)
        CircuitBreakerConfig circuitBreaker,
    @Doc(value = "Retries with a retry budget. Absent: no retries.", section = true)
        RetryConfig retry,
    @Doc(
            "Overload protection: caps on in-flight and pending requests, and an optional adaptive concurrency limit.")
        OverloadConfig overload,
    @Doc(
            value =
                "TLS toward https:// targets: trusted CAs, the SNI name, a client certificate. Absent: https targets are verified against the JVM's default trust store, with their URL's host as SNI.",
            section = true)
        UpstreamTlsConfig tls) {

  /** This upstream with other targets (the ones DNS discovery found). */
  public UpstreamConfig withTargets(List<TargetConfig> found) {
    return new UpstreamConfig(
        found,
        discovery,
        balancer,
        hashOn,
        timeouts,
        maxConnectionsPerTarget,
        maxTunnelsPerTarget,
        healthCheck,
        circuitBreaker,
        retry,
        overload,
        tls);
  }
}
