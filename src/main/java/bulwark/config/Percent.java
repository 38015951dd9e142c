package bulwark.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A percentage from 0% to 100%, written {@code 50%} or {@code 12.5%}. */
public record Percent(double value) {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,3}(?:\\.\\d{1,4})?)%");

  public static Percent parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches())
      throw new IllegalArgumentException("'" + text + "' is not a percent (use 50%)");
    double v = Double.parseDouble(m.group(1));
    if (v > 100) throw new IllegalArgumentException("'" + text + "' is over 100%");
    return new Percent(v);
  }

  public double fraction() {
    return value / 100.0;
  }
}
