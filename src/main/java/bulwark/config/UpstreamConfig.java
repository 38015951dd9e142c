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
        UpstreamTlsConfig tls,
    @Doc(
            value =
                "How the gateway speaks to the targets. http1: HTTP/1.1, one request per connection at a time. h2c: HTTP/2 by prior knowledge over plain TCP (http:// targets). h2: HTTP/2 over TLS, negotiated by ALPN (https:// targets; a target that does not offer h2 fails its connections with a clear error). auto: over TLS, ALPN offers h2 and http/1.1 and the target picks; http:// targets get HTTP/1.1. With HTTP/2, requests share connections as streams: at most maxConnectionsPerTarget connections per target and event loop, each carrying as many streams at once as the target's SETTINGS_MAX_CONCURRENT_STREAMS allows; a request that finds every stream busy waits (as for a connection, at most timeouts.connect). A connection that received GOAWAY takes no new streams, and a request the target refused unprocessed (above GOAWAY's last stream id, or REFUSED_STREAM) goes out again on another connection when its body can be sent again. Needed for gRPC (see docs/grpc.md).",
            dflt = "http1")
        UpstreamProtocol protocol,
    @Doc(
            "HTTP/2 connections (protocol h2c, h2 or auto): PINGs that check they are alive (see docs/grpc.md).")
        LivenessConfig h2) {

  /** An upstream without an h2 section (no PINGs). */
  public UpstreamConfig(
      List<TargetConfig> targets,
      DiscoveryConfig discovery,
      String balancer,
      String hashOn,
      TimeoutsConfig timeouts,
      int maxConnectionsPerTarget,
      int maxTunnelsPerTarget,
      HealthCheckConfig healthCheck,
      CircuitBreakerConfig circuitBreaker,
      RetryConfig retry,
      OverloadConfig overload,
      UpstreamTlsConfig tls,
      UpstreamProtocol protocol) {
    this(
        targets,
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
        tls,
        protocol,
        LivenessConfig.DEFAULTS);
  }

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
        tls,
        protocol,
        h2);
  }
}
