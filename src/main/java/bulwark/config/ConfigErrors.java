package bulwark.config;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The errors of one config load, shared by the binder's output and every section validator, each
 * with the path of its field. A field that failed to bind is not checked again: its placeholder
 * value (0, "", null) would only add a second, misleading error.
 */
final class ConfigErrors {
  private final List<ConfigError> errors;

  /** Fields that already failed to bind. */
  private final Set<String> failed = new HashSet<>();

  /**
   * Values the binder found to be none of their enum's names, reported by {@link #named} in the
   * validators' order.
   */
  private final Map<String, String> unknownNames;

  ConfigErrors(List<ConfigError> errors, Map<String, String> unknownNames) {
    this.errors = errors;
    this.unknownNames = unknownNames;
    for (ConfigError e : errors) failed.add(e.path());
    failed.addAll(unknownNames.keySet());
  }

  void error(String path, String message) {
    if (!failed.contains(path)) errors.add(new ConfigError(path, message));
  }

  void check(boolean ok, String path, String message) {
    if (!ok) error(path, message);
  }

  /** Whether the field at {@code path} failed to bind. */
  boolean failed(String path) {
    return failed.contains(path);
  }

  /** Whether an error was reported under {@code prefix} (a path ending in "."). */
  boolean anyUnder(String prefix) {
    return errors.stream().anyMatch(e -> e.path().startsWith(prefix));
  }

  /** Reports the value at {@code path} if the binder found it to be none of its enum's names. */
  void named(String path) {
    String message = unknownNames.remove(path);
    if (message != null) errors.add(new ConfigError(path, message));
  }

  /**
   * Reports, in document order, the values under {@code prefix} the binder could not read (items of
   * a list).
   */
  void namedUnder(String prefix) {
    for (var it = unknownNames.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().startsWith(prefix)) {
        errors.add(new ConfigError(e.getKey(), e.getValue()));
        it.remove();
      }
    }
  }

  void positive(Duration d, String p) {
    if (d != null && (d.isZero() || d.isNegative())) error(p, "must be above 0");
  }

  void url(String p, String v) {
    try {
      URI u = new URI(v);
      check(
          ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null,
          p,
          "'" + v + "' must be an http:// or https:// URL");
    } catch (Exception e) {
      error(p, "'" + v + "' is not a URL");
    }
  }

  HostPort hostPort(String v, String p) {
    if (v == null) return null; // failed to bind, already reported
    try {
      return HostPort.parse(v);
    } catch (IllegalArgumentException e) {
      error(p, e.getMessage());
      return null;
    }
  }

  static String nz(String s) {
    return s == null ? "" : s;
  }
}
