package bulwark.config;

import java.util.regex.Pattern;

/**
 * A gRPC method, or a set of them, as a route names them: {@code /pkg.Service/Method} (one method),
 * {@code /pkg.Service/Get*} (the service's methods whose name starts with Get) or {@code
 * /pkg.Service/*} (all its methods). The path of a gRPC request is its full method name, so a
 * method matches a request by its path. {@link #toString()} is the value as written.
 *
 * @param prefix the path, up to the '*' when {@code wildcard}
 * @param wildcard the value ends with '*': any path that starts with {@code prefix}
 */
public record GrpcMethod(String prefix, boolean wildcard) {
  private static final Pattern SYNTAX =
      Pattern.compile("/[A-Za-z_][A-Za-z0-9_.]*/([A-Za-z_][A-Za-z0-9_]*\\*?|\\*)");

  /** The method(s) written as {@code text}; throws saying what it may be. */
  public static GrpcMethod parse(String text) {
    if (!SYNTAX.matcher(text).matches() || text.contains("..") || text.startsWith("/."))
      throw new IllegalArgumentException(
          "'"
              + text
              + "' must be a gRPC method, /package.Service/Method, or methods ending with *"
              + " (/package.Service/Get*, /package.Service/*)");
    boolean wildcard = text.endsWith("*");
    return new GrpcMethod(wildcard ? text.substring(0, text.length() - 1) : text, wildcard);
  }

  /** Whether a request with this path calls the method (or one of them). */
  public boolean matches(String path) {
    return wildcard ? path.startsWith(prefix) : path.equals(prefix);
  }

  @Override
  public String toString() {
    return wildcard ? prefix + "*" : prefix;
  }
}
