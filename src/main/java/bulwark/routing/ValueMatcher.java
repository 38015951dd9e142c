package bulwark.routing;

import java.util.regex.Pattern;

/** A header or query value predicate: exact, or {@code regex:EXPR} matched as a whole. */
public record ValueMatcher(String name, String exact, Pattern regex) {
  public static ValueMatcher of(String name, String spec) {
    if (spec.startsWith("regex:"))
      return new ValueMatcher(name, null, Pattern.compile(spec.substring(6)));
    return new ValueMatcher(name, spec, null);
  }

  public boolean matches(String value) {
    if (value == null) return false;
    return regex == null ? exact.equals(value) : regex.matcher(value).matches();
  }

  @Override
  public String toString() {
    return regex == null ? exact : "regex:" + regex.pattern();
  }
}
