package bulwark.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed and validated path pattern, plus helpers for {@code {name}} templates.
 *
 * <p>A pattern starts with {@code /} and is split on {@code /} into segments, each one of:
 * <ul>
 *   <li>exact text, e.g. {@code users} (case-sensitive);</li>
 *   <li>{@code {name}}: exactly one non-empty segment, captured under {@code name}
 *       (name: Java identifier characters and {@code -});</li>
 *   <li>{@code *}: exactly one non-empty segment, not captured;</li>
 *   <li>{@code **}: last segment only; zero or more remaining segments, captured under {@code "**"}
 *       (without leading slash, {@code ""} when none).</li>
 * </ul>
 * An empty segment is allowed only last, so {@code /} and {@code /users/} are valid exact patterns
 * (the latter matches only the path {@code /users/}), while {@code /a//b} is rejected.
 */
public final class PathPattern {

  /** Patterns with more segments are rejected; {@link PathTree#match} ignores longer paths. */
  public static final int MAX_SEGMENTS = 256;

  /** Name under which a trailing {@code **} captures the rest of the path. */
  public static final String REST = "**";

  enum Kind { EXACT, PARAM, STAR, DOUBLE_STAR }

  /** One pattern segment; {@code text} is the literal for EXACT, the name for PARAM, else the raw segment. */
  record Segment(Kind kind, String text) {}

  private final String pattern;
  private final List<Segment> segments;
  private final List<String> paramNames;

  private PathPattern(String pattern, List<Segment> segments, List<String> paramNames) {
    this.pattern = pattern;
    this.segments = segments;
    this.paramNames = paramNames;
  }

  /** Parses and validates {@code pattern}; throws {@link IllegalArgumentException} saying what is wrong. */
  public static PathPattern parse(String pattern) {
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
    return new PathPattern(pattern, List.copyOf(segments), List.copyOf(names));
  }

  /** The pattern text as given to {@link #parse}. */
  public String pattern() {
    return pattern;
  }

  /**
   * Names this pattern captures, in order: each {@code {name}}, then {@code "**"} if it ends with
   * {@code **}. Exactly the keys of {@link PathMatch#params()} for a match of this pattern.
   */
  public List<String> paramNames() {
    return paramNames;
  }

  List<Segment> segments() {
    return segments;
  }

  /**
   * Replaces each {@code {name}} in {@code template} with {@code params.get(name)}, verbatim (no
   * encoding). Placeholders may appear anywhere in the text, e.g. {@code /v2/{id}.json}; {@code {**}}
   * refers to the rest captured by a trailing {@code **}. For example {@code expand("/api/users/{id}/profile",
   * Map.of("id", "7"))} is {@code "/api/users/7/profile"}.
   *
   * @throws IllegalArgumentException if a placeholder has no value in {@code params}, or the template
   *                                  has unbalanced braces or a bad placeholder name
   */
  public static String expand(String template, Map<String, String> params) {
    Objects.requireNonNull(params, "params");
    StringBuilder out = new StringBuilder(template.length() + 16);
    scan(template, (literalFrom, literalTo, name) -> {
      out.append(template, literalFrom, literalTo);
      if (name != null) {
        String value = params.get(name);
        if (value == null) {
          throw new IllegalArgumentException(
              "Template '" + template + "' uses placeholder {" + name + "} but no value named '" + name
                  + "' is available (have " + params.keySet() + ")");
        }
        out.append(value);
      }
    });
    return out.toString();
  }

  /** The placeholder names used in {@code template}, in order of first use; throws like {@link #expand}. */
  public static Set<String> placeholders(String template) {
    Set<String> names = new LinkedHashSet<>();
    scan(template, (from, to, name) -> {
      if (name != null) {
        names.add(name);
      }
    });
    return Collections.unmodifiableSet(names);
  }

  @Override
  public String toString() {
    return pattern;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathPattern p && p.pattern.equals(pattern);
  }

  @Override
  public int hashCode() {
    return pattern.hashCode();
  }

  // ---------------------------------------------------------------------------------------------

  private interface TemplatePart {
    /** Literal text {@code [from, to)} followed by placeholder {@code name} (null at the end). */
    void accept(int from, int to, String name);
  }

  private static void scan(String template, TemplatePart sink) {
    Objects.requireNonNull(template, "template");
    int pos = 0;
    while (true) {
      int open = template.indexOf('{', pos);
      int close = template.indexOf('}', pos);
      if (open < 0) {
        if (close >= 0) {
          throw new IllegalArgumentException("Template '" + template + "' has an unmatched '}' at " + close);
        }
        sink.accept(pos, template.length(), null);
        return;
      }
      if (close < open) {
        throw new IllegalArgumentException("Template '" + template + "' has an unmatched '"
            + (close < 0 ? "{' at " + open : "}' at " + close));
      }
      String name = template.substring(open + 1, close);
      if (!name.equals(REST) && !isParamName(name)) {
        throw new IllegalArgumentException("Template '" + template + "' has an invalid placeholder {"
            + name + "} (expected {name} with Java identifier characters or '-', or {**})");
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
      throw bad(pattern, "segment '" + s + "' mixes text and braces; a parameter must be a whole segment like '{id}'");
    }
    String name = s.substring(1, s.length() - 1);
    if (name.isEmpty()) {
      throw bad(pattern, "has an empty parameter name '{}'");
    }
    if (!isParamName(name)) {
      throw bad(pattern, "segment '" + s + "' has an invalid parameter name (use Java identifier characters or '-')");
    }
    return new Segment(Kind.PARAM, name);
  }

  static boolean isParamName(String name) {
    return !name.isEmpty() && name.codePoints().allMatch(c -> c == '-'
        || (Character.isJavaIdentifierPart(c) && !Character.isIdentifierIgnorable(c)));
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
