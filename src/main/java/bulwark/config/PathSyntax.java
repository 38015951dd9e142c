package bulwark.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The grammar of path patterns ({@code match.path}, group prefixes) and of {@code {name}} templates
 * ({@code rewrite}): the one place both are defined, used by the validator and, above config, by
 * the router (its PathPattern), so a pattern the config accepts is one the router can build.
 *
 * <p>A pattern starts with {@code /} and is split on {@code /} into segments, each one of:
 *
 * <ul>
 *   <li>exact text, e.g. {@code users} (case-sensitive);
 *   <li>{@code {name}}: exactly one non-empty segment, captured under {@code name} (name: Java
 *       identifier characters and {@code -});
 *   <li>{@code *}: exactly one non-empty segment, not captured;
 *   <li>{@code **}: last segment only; zero or more remaining segments, captured under {@code "**"}
 *       (without leading slash, {@code ""} when none).
 * </ul>
 *
 * An empty segment is allowed only last, so {@code /} and {@code /users/} are valid exact patterns
 * (the latter matches only the path {@code /users/}), while {@code /a//b} is rejected.
 */
public final class PathSyntax {

  /** Patterns with more segments are rejected. */
  public static final int MAX_SEGMENTS = 256;

  /** Name under which a trailing {@code **} captures the rest of the path. */
  public static final String REST = "**";

  public enum Kind {
    EXACT,
    PARAM,
    STAR,
    DOUBLE_STAR
  }

  /**
   * One pattern segment; {@code text} is the literal for EXACT, the name for PARAM, else the raw
   * segment.
   */
  public record Segment(Kind kind, String text) {}

  /**
   * A valid pattern: its segments, and the names it captures in order (each {@code {name}}, then
   * {@code "**"}).
   */
  public record Parsed(List<Segment> segments, List<String> paramNames) {}

  private PathSyntax() {}

  /**
   * Parses and validates {@code pattern}; throws {@link IllegalArgumentException} saying what is
   * wrong.
   */
  public static Parsed parse(String pattern) {
    Objects.requireNonNull(pattern, "pattern");
    if (!pattern.startsWith("/")) {
      throw bad(pattern, "must start with '/'");
    }
    if (pattern.indexOf('?') >= 0) {
      throw bad(pattern, "must not contain '?' (query strings are not part of a path pattern)");
    }
    List<String> raw = split(pattern);
    if (raw.size() > MAX_SEGMENTS) {
      throw bad(pattern, "has more than " + MAX_SEGMENTS + " segments");
    }
    List<Segment> segments = new ArrayList<>(raw.size());
    List<String> names = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      boolean last = i == raw.size() - 1;
      Segment s = segment(pattern, raw.get(i), last);
      if (s.kind() == Kind.PARAM) {
        if (names.contains(s.text())) {
          throw bad(pattern, "parameter '" + s.text() + "' appears more than once");
        }
        names.add(s.text());
      } else if (s.kind() == Kind.DOUBLE_STAR) {
        names.add(REST);
      }
      segments.add(s);
    }
    return new Parsed(List.copyOf(segments), List.copyOf(names));
  }

  /**
   * The placeholder names used in {@code template}, in order of first use; throws on a malformed
   * template.
   */
  public static Set<String> placeholders(String template) {
    Set<String> names = new LinkedHashSet<>();
    scan(
        template,
        (from, to, name) -> {
          if (name != null) {
            names.add(name);
          }
        });
    return Collections.unmodifiableSet(names);
  }

  /** What {@link #scan} sees of a template, piece by piece. */
  public interface TemplatePart {
    /** Literal text {@code [from, to)} followed by placeholder {@code name} (null at the end). */
    void accept(int from, int to, String name);
  }

  /**
   * Walks {@code template}: each literal run and the placeholder after it; throws on a malformed
   * template.
   */
  public static void scan(String template, TemplatePart sink) {
    Objects.requireNonNull(template, "template");
    int pos = 0;
    while (true) {
      int open = template.indexOf('{', pos);
      int close = template.indexOf('}', pos);
      if (open < 0) {
        if (close >= 0) {
          throw new IllegalArgumentException(
              "Template '" + template + "' has an unmatched '}' at " + close);
        }
        sink.accept(pos, template.length(), null);
        return;
      }
      if (close < open) {
        throw new IllegalArgumentException(
            "Template '"
                + template
                + "' has an unmatched '"
                + (close < 0 ? "{' at " + open : "}' at " + close));
      }
      String name = template.substring(open + 1, close);
      if (!name.equals(REST) && !isParamName(name)) {
        throw new IllegalArgumentException(
            "Template '"
                + template
                + "' has an invalid placeholder {"
                + name
                + "} (expected {name} with Java identifier characters or '-', or {**})");
      }
      sink.accept(pos, open, name);
      pos = close + 1;
    }
  }

  /** Splits after the leading '/', keeping empty segments: "/" -> [""], "/a/" -> ["a", ""]. */
  private static List<String> split(String pattern) {
    List<String> out = new ArrayList<>();
    int start = 1;
    while (true) {
      int slash = pattern.indexOf('/', start);
      if (slash < 0) {
        out.add(pattern.substring(start));
        return out;
      }
      out.add(pattern.substring(start, slash));
      start = slash + 1;
    }
  }

  private static Segment segment(String pattern, String s, boolean last) {
    int open = s.indexOf('{');
    int close = s.indexOf('}');
    if (open < 0 && close < 0) {
      if (s.equals("**")) {
        if (!last) {
          throw bad(pattern, "'**' is only allowed as the last segment");
        }
        return new Segment(Kind.DOUBLE_STAR, s);
      }
      if (s.equals("*")) {
        return new Segment(Kind.STAR, s);
      }
      if (s.indexOf('*') >= 0) {
        throw bad(pattern, "segment '" + s + "': '*' and '**' must be whole segments");
      }
      if (s.isEmpty() && !last) {
        throw bad(pattern, "has an empty segment ('//')");
      }
      return new Segment(Kind.EXACT, s);
    }
    if (count(s, '{') != count(s, '}') || close < open) {
      throw bad(pattern, "segment '" + s + "' has unbalanced braces");
    }
    if (open != 0 || close != s.length() - 1) {
      throw bad(
          pattern,
          "segment '"
              + s
              + "' mixes text and braces; a parameter must be a whole segment like '{id}'");
    }
    String name = s.substring(1, s.length() - 1);
    if (name.isEmpty()) {
      throw bad(pattern, "has an empty parameter name '{}'");
    }
    if (!isParamName(name)) {
      throw bad(
          pattern,
          "segment '"
              + s
              + "' has an invalid parameter name (use Java identifier characters or '-')");
    }
    return new Segment(Kind.PARAM, name);
  }

  public static boolean isParamName(String name) {
    return !name.isEmpty()
        && name.codePoints()
            .allMatch(
                c ->
                    c == '-'
                        || (Character.isJavaIdentifierPart(c)
                            && !Character.isIdentifierIgnorable(c)));
  }

  private static int count(String s, char c) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        n++;
      }
    }
    return n;
  }

  private static IllegalArgumentException bad(String pattern, String why) {
    return new IllegalArgumentException("Invalid path pattern '" + pattern + "': " + why);
  }
}
