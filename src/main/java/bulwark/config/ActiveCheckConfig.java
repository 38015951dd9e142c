package bulwark.config;

import java.time.Duration;
import java.util.List;

public record ActiveCheckConfig(
    @Doc(
            "http sends GET path and checks the status; tcp only opens a connection; grpc calls grpc.health.v1.Health/Check (see grpc). Absent: grpc when the grpc section is set, else http. http or tcp together with a grpc section is an error.")
        HealthCheckType type,
    @Doc(
            value =
                "Checks by the standard gRPC health protocol: a unary call of /grpc.health.v1.Health/Check over HTTP/2 on a fresh connection (h2c by prior knowledge for http:// targets, TLS with ALPN h2 and the upstream's tls options for https:// targets). It passes when the call ends with grpc-status 0 and the answer is SERVING; NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, any other grpc-status (UNIMPLEMENTED: the server has no health service; NOT_FOUND: it does not know the service) and a non-gRPC answer fail. Needs an HTTP/2 upstream: protocol h2c, h2, or auto with https:// targets (with http1, or auto and http:// targets, it is an error). A path other than /health, and statuses, are for http checks and are errors here; host, when set, is the call's :authority. Absent: no gRPC check.",
            section = true)
        GrpcCheckConfig grpc,
    @Doc(
            value =
                "Path of the HTTP check. A JSON answer may report resource signals (cpu, memory between 0 and 1) and dependencies (a mapping of names to UP/DOWN) for the score.",
            dflt = "/health")
        String path,
    @Doc(value = "Statuses that pass the HTTP check. Empty: any 2xx or 3xx.")
        List<Integer> statuses,
    @Doc(
            "Host header of the HTTP check (:authority of the gRPC check). Empty: the target's host:port.")
        String host,
    @Doc(value = "Time between two checks of one target.", unit = "duration", dflt = "5s")
        Duration interval,
    @Doc(
            value =
                "Random spread added to each interval, as a share of it, so checks do not align.",
            unit = "percent",
            dflt = "10%")
        Percent jitter,
    @Doc(value = "A check that has not answered by then fails.", unit = "duration", dflt = "1s")
        Duration timeout,
    @Doc(value = "Consecutive passes that bring a DOWN (or UNKNOWN) target UP.", dflt = "2")
        int healthyThreshold,
    @Doc(value = "Consecutive failures that take an UP (or UNKNOWN) target DOWN.", dflt = "3")
        int unhealthyThreshold) {

  /** An absent type is grpc when the grpc section is set, else http. */
  public ActiveCheckConfig {
    if (type == null) type = grpc != null ? HealthCheckType.GRPC : HealthCheckType.HTTP;
  }

  /** The gRPC service to ask about: "" (the whole server) without a grpc section or a service. */
  public String grpcService() {
    return grpc == null ? "" : grpc.serviceName();
  }
}
