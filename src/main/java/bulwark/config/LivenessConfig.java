package bulwark.config;

import java.time.Duration;

/**
 * upstreams[].h2: the liveness of HTTP/2 connections toward one upstream (protocol h2c, h2 or
 * auto), checked by PING.
 */
public record LivenessConfig(
    @Doc(
            value =
                "Checks each HTTP/2 connection to a target with a PING when nothing was read from it for this long, whether it carries streams or not. A connection whose PING is not answered within pingTimeout is closed (its streams fail: 502, gRPC UNAVAILABLE, or a retry), so a dead target or a silent network drop is found before a request waits on it. With pings on, timeouts.idle counts only the time a connection carries no streams: a connection with a long-lived silent stream (a gRPC stream waiting for events) stays open as long as its PINGs are answered. Empty: no PINGs, and timeouts.idle closes a connection with no frames for that long, open streams or not. Servers may limit PINGs: by default a grpc-java server sends GOAWAY too_many_pings after the third PING that comes less than 5 minutes after the previous one (2 hours on a connection without calls) with no data sent in between, unless its permitKeepAliveTime and permitKeepAliveWithoutCalls allow more; pick an interval the targets accept.",
            unit = "duration")
        Duration pingInterval,
    @Doc(
            value = "Time for a PING's answer (see pingInterval) before the connection is closed.",
            unit = "duration",
            dflt = "5s")
        Duration pingTimeout) {

  /** What an upstream without an h2 section gets. */
  public static final LivenessConfig DEFAULTS = new LivenessConfig(null, Duration.ofSeconds(5));
}
