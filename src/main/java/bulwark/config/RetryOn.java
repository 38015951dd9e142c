package bulwark.config;

import java.util.List;

/**
 * One retry.on value: a condition ({@link RetryCondition}) or a response status (100 to 599),
 * written bare in YAML. Exactly one of the two is set; {@link #toString()} is the value as written.
 */
public record RetryOn(RetryCondition condition, int status) {
  /** The value written as {@code text}; throws saying what it may be. */
  public static RetryOn parse(String text) {
    if (text.matches("[1-5]\\d\\d")) return new RetryOn(null, Integer.parseInt(text));
    for (RetryCondition c : RetryCondition.values()) {
      if (c.configName().equals(text)) return new RetryOn(c, 0);
    }
    List<String> names = Names.of(RetryCondition.class);
    throw new IllegalArgumentException(
        "'"
            + text
            + "' must be connect_failure, reset, timeout or an HTTP status"
            + Suggest.didYouMean(text, names));
  }

  @Override
  public String toString() {
    return condition != null ? condition.configName() : Integer.toString(status);
  }
}
