package bulwark.config;

/** healthCheck.active.grpc: an active check by the standard gRPC health protocol. */
public record GrpcCheckConfig(
    @Doc(
            "The service to ask about, as the server's health service knows it (e.g. helloworld.Greeter): sent as HealthCheckRequest.service. Empty: the server as a whole. A name the server does not know fails the check (grpc-java answers NOT_FOUND).")
        String service) {

  /** The service to ask about: "" (the whole server) when absent. */
  public String serviceName() {
    return service == null ? "" : service;
  }
}
