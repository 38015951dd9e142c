package bulwark.transport;

/** The {@code grpc-timeout} header's value as the gateway writes it (toward a target). */
public final class GrpcTimeout {
  private GrpcTimeout() {}

  /** At most 8 digits, in milliseconds or, beyond that, seconds; at least 1 ms. */
  public static String format(long millis) {
    long ms = Math.max(1, millis);
    return ms <= 99_999_999L ? ms + "m" : Math.min(ms / 1000, 99_999_999L) + "S";
  }
}
