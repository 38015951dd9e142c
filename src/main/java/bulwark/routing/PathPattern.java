package bulwark.routing;

import bulwark.config.PathSyntax;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A parsed and validated path pattern, plus helpers for {@code {name}} templates. The grammar is
 * {@link PathSyntax}'s (config owns it, so the validator needs nothing from routing); this class
 * adds what the router needs: the segments to build the tree from, and template expansion.
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
public final class PathPattern {

  /** Patterns with more segments are rejected; {@link PathTree#match} ignores longer paths. */
  public static final int MAX_SEGMENTS = PathSyntax.MAX_SEGMENTS;

  /** Name under which a trailing {@code **} captures the rest of the path. */
  public static final String REST = PathSyntax.REST;

  enum Kind {
    EXACT,
    PARAM,
    STAR,
    DOUBLE_STAR
  }

  /**
   * One pattern segment; {@code text} is the literal for EXACT, the name for PARAM, else the raw
   * segment.
   */
  record Segment(Kind kind, String text) {}

  private final String pattern;
  private final List<Segment> segments;
  private final List<String> paramNames;

  private PathPattern(String pattern, List<Segment> segments, List<String> paramNames) {
    this.pattern = pattern;
    this.segments = segments;
    this.paramNames = paramNames;
  }

  /**
   * Parses and validates {@code pattern}; throws {@link IllegalArgumentException} saying what is
   * wrong.
   */
  public static PathPattern parse(String pattern) {
    PathSyntax.Parsed p = PathSyntax.parse(pattern);
    List<Segment> segments =
        p.segments().stream()
            .map(s -> new Segment(Kind.valueOf(s.kind().name()), s.text()))
            .toList();
    return new PathPattern(pattern, segments, p.paramNames());
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
   * encoding). Placeholders may appear anywhere in the text, e.g. {@code /v2/{id}.json}; {@code
   * {**}} refers to the rest captured by a trailing {@code **}. For example {@code
   * expand("/api/users/{id}/profile", Map.of("id", "7"))} is {@code "/api/users/7/profile"}.
   *
   * @throws IllegalArgumentException if a placeholder has no value in {@code params}, or the
   *     template has unbalanced braces or a bad placeholder name
   */
  public static String expand(String template, Map<String, String> params) {
    Objects.requireNonNull(params, "params");
    StringBuilder out = new StringBuilder(template.length() + 16);
    PathSyntax.scan(
        template,
        (literalFrom, literalTo, name) -> {
          out.append(template, literalFrom, literalTo);
          if (name != null) {
            String value = params.get(name);
            if (value == null) {
              throw new IllegalArgumentException(
                  "Template '"
                      + template
                      + "' uses placeholder {"
                      + name
                      + "} but no value named '"
                      + name
                      + "' is available (have "
                      + params.keySet()
                      + ")");
            }
            out.append(value);
          }
        });
    return out.toString();
  }

  /**
   * The placeholder names used in {@code template}, in order of first use; throws like {@link
   * #expand}.
   */
  public static Set<String> placeholders(String template) {
    return PathSyntax.placeholders(template);
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
}
