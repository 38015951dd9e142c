package bulwark.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One retry.on value: a condition ({@link RetryCondition}), a response status (100 to 599, written
 * bare in YAML), or a gRPC status by name ({@link GrpcStatus}, e.g. {@code unavailable}). Exactly
 * one of the three is set; {@link #toString()} is the value as written.
 */
public record RetryOn(RetryCondition condition, int status, GrpcStatus grpc) {

  /** A condition or an HTTP status. */
  public RetryOn(RetryCondition condition, int status) {
    this(condition, status, null);
  }

  /** The value written as {@code text}; throws saying what it may be. */
  public static RetryOn parse(String text) {
    if (text.matches("[1-5]\\d\\d")) return new RetryOn(null, Integer.parseInt(text));
    for (RetryCondition c : RetryCondition.values()) {
      if (c.configName().equals(text)) return new RetryOn(c, 0);
    }
    for (GrpcStatus g : GrpcStatus.values()) {
      if (g.configName().equals(text)) return new RetryOn(null, 0, g);
    }
    List<String> names = new ArrayList<>(Names.of(RetryCondition.class));
    names.addAll(Names.of(GrpcStatus.class));
    throw new IllegalArgumentException(
        "'"
            + text
            + "' must be connect_failure, reset, timeout, an HTTP status or a gRPC status name"
            + " (unavailable, resource_exhausted...)"
            + Suggest.didYouMean(text, names));
  }

  @Override
  public String toString() {
    if (condition != null) return condition.configName();
    if (grpc != null) return grpc.configName();
    return Integer.toString(status);
  }
}
