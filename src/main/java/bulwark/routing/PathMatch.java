package bulwark.routing;

import java.util.Map;
import java.util.Objects;

/**
 * One value whose pattern matched a request path, with the values it captured.
 *
 * @param value the value registered with {@link PathTree.Builder#add(String, Object)}
 * @param params captured path parameters, unmodifiable and in pattern order: each {@code {name}} of
 *     the pattern, then {@code "**"} (the rest of the path, without leading slash) if the pattern
 *     ends with {@code **}. Values are not percent-decoded. Empty when nothing was captured.
 */
public record PathMatch<T>(T value, Map<String, String> params) {
  public PathMatch {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(params, "params");
  }
}
