package bulwark.proxy;

import bulwark.upstream.Admission;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.discovery.DnsDiscovery;
import bulwark.upstream.target.Target;

/** The details of the gateway's own answers about its upstreams (problem+json "detail"). */
final class Details {
  private Details() {}

  static String overloaded(UpstreamRuntime up, Admission.Refusal why) {
    return why == Admission.Refusal.IN_FLIGHT
        ? "upstream '"
            + up.name()
            + "' has "
            + up.overload().maxInFlight()
            + " requests in flight, its maxInFlight"
        : "upstream '"
            + up.name()
            + "' is at its adaptive concurrency limit of "
            + up.overload().adaptiveLimit();
  }

  static String pending(UpstreamRuntime up) {
    return "upstream '"
        + up.name()
        + "' has "
        + up.overload().maxPending()
        + " requests waiting for a connection, its maxPending";
  }

  static String tunnels(Target t, UpstreamRuntime up, int max) {
    return "target "
        + t.key()
        + " of upstream '"
        + up.name()
        + "' has "
        + max
        + " tunnels (WebSockets) open on this event loop, its maxTunnelsPerTarget";
  }

  static String breakerOpen(UpstreamRuntime up) {
    return "the circuit breaker of upstream '" + up.name() + "' is open";
  }

  static String noTarget(UpstreamRuntime up) {
    DnsDiscovery d = up.discovery();
    if (d != null && up.targets().isEmpty()) {
      String why = d.lastError();
      return "upstream '"
          + up.name()
          + "' has no targets: DNS discovery of "
          + d.name()
          + (why == null ? " has not answered yet" : " failed: " + why);
    }
    return "no target of upstream '" + up.name() + "' is available";
  }

  static String connectFailed(UpstreamRuntime up, Target t, boolean timeout) {
    return timeout
        ? "connecting to " + t.key() + " of upstream '" + up.name() + "' timed out"
        : "cannot connect to " + t.key() + " of upstream '" + up.name() + "'";
  }

  static String failed(UpstreamRuntime up, Target t, Throwable e) {
    return "upstream '" + up.name() + "' (" + t.key() + ") failed: " + safeMessage(e);
  }

  static String timedOut(UpstreamRuntime up, Target t) {
    return "upstream '" + up.name() + "' (" + t.key() + ") timed out";
  }

  static String noResponse(UpstreamRuntime up) {
    return "upstream '" + up.name() + "' sent no response within " + up.tryMillis() + "ms";
  }

  static String routeTimeout(long millis) {
    return "the route timeout of " + millis + "ms passed";
  }

  static String safeMessage(Throwable e) {
    String m = e.getMessage();
    if (m == null) return e.getClass().getSimpleName();
    return m.length() > 200 ? m.substring(0, 200) : m;
  }
}
