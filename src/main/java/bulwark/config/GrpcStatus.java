package bulwark.config;

/**
 * A gRPC status code other than OK, by its name in grpc/doc/statuscodes.md, lower case (a retry.on
 * value, say): {@code unavailable} is code 14.
 */
public enum GrpcStatus implements ConfigName {
  CANCELLED("cancelled", 1),
  UNKNOWN("unknown", 2),
  INVALID_ARGUMENT("invalid_argument", 3),
  DEADLINE_EXCEEDED("deadline_exceeded", 4),
  NOT_FOUND("not_found", 5),
  ALREADY_EXISTS("already_exists", 6),
  PERMISSION_DENIED("permission_denied", 7),
  RESOURCE_EXHAUSTED("resource_exhausted", 8),
  FAILED_PRECONDITION("failed_precondition", 9),
  ABORTED("aborted", 10),
  OUT_OF_RANGE("out_of_range", 11),
  UNIMPLEMENTED("unimplemented", 12),
  INTERNAL("internal", 13),
  UNAVAILABLE("unavailable", 14),
  DATA_LOSS("data_loss", 15),
  UNAUTHENTICATED("unauthenticated", 16);

  private final String configName;
  private final int code;

  GrpcStatus(String configName, int code) {
    this.configName = configName;
    this.code = code;
  }

  /** The code on the wire ({@code grpc-status}). */
  public int code() {
    return code;
  }

  @Override
  public String configName() {
    return configName;
  }

  @Override
  public String toString() {
    return configName;
  }
}
