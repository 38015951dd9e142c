package bulwark.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in bytes, written {@code 512}, {@code 16KiB}, {@code 10MiB} or {@code 1GiB}. */
public record ByteSize(long bytes) {
  private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})(B|KiB|MiB|GiB)?");

  public static ByteSize parse(String text) {
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (use 512, 16KiB, 10MiB or 1GiB)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long mult =
        switch (unit) {
          case "KiB" -> 1L << 10;
          case "MiB" -> 1L << 20;
          case "GiB" -> 1L << 30;
          default -> 1L;
        };
    if (n > Long.MAX_VALUE / mult)
      throw new IllegalArgumentException("'" + text + "' is too large");
    return new ByteSize(n * mult);
  }

  /**
   * The size as people and the config read it, the one format of every message that names a size
   * (413, 431, limits): {@code 16KiB}, {@code 10MiB}, or {@code 1000B} when no larger unit divides
   * it.
   */
  public String human() {
    String s = toString();
    return Character.isDigit(s.charAt(s.length() - 1)) ? s + "B" : s;
  }

  /** Same as {@link #human()}. */
  public static String human(long bytes) {
    return new ByteSize(bytes).human();
  }

  @Override
  public String toString() {
    if (bytes != 0 && bytes % (1L << 30) == 0) return bytes / (1L << 30) + "GiB";
    if (bytes != 0 && bytes % (1L << 20) == 0) return bytes / (1L << 20) + "MiB";
    if (bytes != 0 && bytes % (1L << 10) == 0) return bytes / (1L << 10) + "KiB";
    return Long.toString(bytes);
  }
}
