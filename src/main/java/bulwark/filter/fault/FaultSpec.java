package bulwark.filter.fault;

import bulwark.config.Durations;

/**
 * The value of {@value FaultFilter#REQUEST_HEADER}: {@code abort=STATUS} and/or {@code
 * delay=DURATION}, comma-separated, e.g. {@code delay=200ms, abort=503}.
 *
 * @param delayMillis 0 when no delay is asked for
 * @param abortStatus 0 when no abort is asked for
 */
record FaultSpec(long delayMillis, int abortStatus) {
  private static final String GRAMMAR = "abort=STATUS and/or delay=DURATION, comma-separated";

  /**
   * @throws IllegalArgumentException with a message for the client when the value is malformed,
   *     asks for a status outside 200..599, or a delay over {@code maxDelayMillis}
   */
  static FaultSpec parse(String value, long maxDelayMillis) {
    long delay = 0;
    int abort = 0;
    String[] parts = value.split(",", -1);
    if (parts.length > 2) throw new IllegalArgumentException("'" + value + "' must be " + GRAMMAR);
    for (String raw : parts) {
      String part = raw.trim();
      int eq = part.indexOf('=');
      String key = eq < 0 ? part : part.substring(0, eq).trim();
      String v = eq < 0 ? "" : part.substring(eq + 1).trim();
      if (key.equals("abort") && abort == 0) {
        if (!v.matches("\\d{3}"))
          throw new IllegalArgumentException("abort='" + v + "' must be a status, 200 to 599");
        abort = Integer.parseInt(v);
        if (abort < 200 || abort > 599)
          throw new IllegalArgumentException("abort=" + v + " must be between 200 and 599");
      } else if (key.equals("delay") && delay == 0) {
        long ms;
        try {
          ms = Durations.parse(v).toMillis();
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("delay='" + v + "' is not a duration (200ms, 1s)");
        }
        if (ms <= 0) throw new IllegalArgumentException("delay=" + v + " must be more than 0s");
        if (ms > maxDelayMillis)
          throw new IllegalArgumentException(
              "delay=" + v + " is over the longest allowed here, " + maxDelayMillis + "ms");
        delay = ms;
      } else {
        throw new IllegalArgumentException("'" + value + "' must be " + GRAMMAR);
      }
    }
    return new FaultSpec(delay, abort);
  }
}
