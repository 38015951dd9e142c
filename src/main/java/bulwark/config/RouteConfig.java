package bulwark.config;

import java.time.Duration;
import java.util.List;

public record RouteConfig(
    @Doc(value = "Unique name of the route, used in logs and the admin API.", required = true)
        String name,
    @Doc(value = "What a request must look like to take this route.", required = true)
        MatchConfig match,
    @Doc(
            "API version this route serves, chosen by the Accept header (needs the versioning section).")
        String version,
    @Doc("Name of the upstream to forward to. Exactly one of upstream and backends must be set.")
        String upstream,
    @Doc("Names of middlewares, applied after those of enclosing groups.") List<String> middlewares,
    @Doc(
            value =
                "Total time for the request, including the upstream response head. Over it: 504 problem+json. Empty: only the upstream timeouts apply.",
            unit = "duration")
        Duration timeout,
    @Doc(
            "Path sent upstream instead of the request path; {param} placeholders from match.path are substituted. The query string is kept.")
        String rewrite,
    @Doc(
            value =
                "Let the upstream's retry policy retry non-idempotent methods (POST, PATCH) on this route too.",
            dflt = "false")
        boolean retryNonIdempotent,
    @Doc(
            value =
                "What this route answers while its upstream's circuit breaker is open. Absent: 503 problem+json with Retry-After.",
            section = true)
        FallbackConfig fallback,
    @Doc(
            "Instead of upstream: a weighted split of the route's requests between upstreams (a gray release). Each request goes to one backend, picked by weight (or by stickyOn); health, breaker, retries and overload are the chosen upstream's. The weights must not all be 0.")
        List<BackendConfig> backends,
    @Doc(
            "Rules checked in order before the weights: the first that matches sends the request to its upstream.")
        List<CanaryConfig> canary,
    @Doc(
            value =
                "Keeps a key on the same backend while the weights hold (weighted rendezvous hashing: when a weight grows, only the keys that must move do, and only towards the grown backend). A request without the key is placed by weight at random. Needs backends.",
            unit = "client_ip | header:NAME | cookie:NAME")
        StickyOn stickyOn,
    @Doc(
            value =
                "When the chosen backend has no usable target (all down, ejected or drained), send the request to another backend with a non-zero weight that has one (in the route's weight order, or the key's rendezvous order with stickyOn). false: answer 503.",
            dflt = "true")
        boolean failover,
    @Doc(
            value =
                "A sampled copy of the route's requests sent to another upstream, fire-and-forget (shadow traffic). The client's answer comes from the route's own upstream only; the mirror's answers are read and discarded, and a mirror that is slow, failing or down changes nothing for the client. Copies carry X-Bulwark-Mirror: 1 and the mirror target's Host. Absent: no mirroring.",
            section = true)
        MirrorConfig mirror,
    @Doc(
            value =
                "Translate gRPC-Web (browsers, over HTTP/1.1 or HTTP/2) to gRPC for the upstream: a request with content-type application/grpc-web (binary) or application/grpc-web-text (base64) goes up as application/grpc over HTTP/2, and the response comes back as gRPC-Web, its trailers (grpc-status, grpc-message...) in a last frame of the body. Other requests on the route (plain gRPC) pass unchanged. Needs an HTTP/2 upstream (protocol h2c or h2); see docs/grpc.md, also for CORS.",
            dflt = "false")
        boolean grpcWeb,
    @Doc(
            value =
                "gRPC on this route: the methods that may be retried (see docs/grpc.md). Absent: gRPC requests are POSTs like any other.",
            section = true)
        GrpcRouteConfig grpc) {

  /** A route with the traffic sections, without gRPC settings. */
  public RouteConfig(
      String name,
      MatchConfig match,
      String version,
      String upstream,
      List<String> middlewares,
      Duration timeout,
      String rewrite,
      boolean retryNonIdempotent,
      FallbackConfig fallback,
      List<BackendConfig> backends,
      List<CanaryConfig> canary,
      StickyOn stickyOn,
      boolean failover,
      MirrorConfig mirror) {
    this(
        name,
        match,
        version,
        upstream,
        middlewares,
        timeout,
        rewrite,
        retryNonIdempotent,
        fallback,
        backends,
        canary,
        stickyOn,
        failover,
        mirror,
        false,
        null);
  }

  /** A route to one upstream, with no split, canary or mirror (as routes were written before). */
  public RouteConfig(
      String name,
      MatchConfig match,
      String version,
      String upstream,
      List<String> middlewares,
      Duration timeout,
      String rewrite,
      boolean retryNonIdempotent,
      FallbackConfig fallback) {
    this(
        name,
        match,
        version,
        upstream,
        middlewares,
        timeout,
        rewrite,
        retryNonIdempotent,
        fallback,
        List.of(),
        List.of(),
        null,
        true,
        null,
        false,
        null);
  }
}
