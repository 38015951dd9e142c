package bulwark.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A rate, written {@code 10/s}, {@code 600/min} or {@code 10000/h}. */
public record Rate(long count, Duration per) {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})/(s|min|h)");

  public static Rate parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches())
      throw new IllegalArgumentException(
          "'" + text + "' is not a rate (use 10/s, 600/min or 10000/h)");
    long n = Long.parseLong(m.group(1));
    if (n == 0) throw new IllegalArgumentException("a rate must be above 0");
    Duration per =
        switch (m.group(2)) {
          case "s" -> Duration.ofSeconds(1);
          case "min" -> Duration.ofMinutes(1);
          default -> Duration.ofHours(1);
        };
    return new Rate(n, per);
  }
}
