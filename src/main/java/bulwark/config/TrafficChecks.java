package bulwark.config;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/** Validation of the traffic middlewares: fault, redirect, compression. */
final class TrafficChecks {
  private static final String TCHAR = "[!#$%&'+.^_`|~0-9A-Za-z-]";

  /**
   * A media type to compress: type/subtype, the subtype with at most one '*' (text/*,
   * application/*+json), or * / * (written without the spaces).
   */
  private static final Pattern MEDIA_TYPE =
      Pattern.compile("\\*/\\*|" + TCHAR + "+/(?=.)" + TCHAR + "*\\*?" + TCHAR + "*");

  private TrafficChecks() {}

  /**
   * @param algorithmsFailed an algorithm was none of the names (already reported): an empty list is
   *     then no second error
   */
  static void compression(
      String p, CompressionConfig c, boolean algorithmsFailed, BiConsumer<String, String> error) {
    if (c.algorithms().isEmpty() && !algorithmsFailed)
      error.accept(p + ".algorithms", "at least one algorithm is required (br, gzip)");
    Set<CompressionAlgorithm> seen = EnumSet.noneOf(CompressionAlgorithm.class);
    // (the list the binder kept lacks the unknown names: its indexes are then not the file's)
    for (int i = 0; i < c.algorithms().size() && !algorithmsFailed; i++)
      if (!seen.add(c.algorithms().get(i)))
        error.accept(
            p + ".algorithms[" + i + "]", "'" + c.algorithms().get(i) + "' is listed twice");
    if (c.types().isEmpty())
      error.accept(p + ".types", "at least one media type is required (e.g. application/json)");
    for (int i = 0; i < c.types().size(); i++) {
      String t = c.types().get(i);
      if (!MEDIA_TYPE.matcher(t).matches())
        error.accept(
            p + ".types[" + i + "]",
            "'" + t + "' is not a media type (type/subtype, e.g. application/json or text/*)");
    }
    CompressionLevels l = c.levels();
    if (l != null && (l.gzip() < 1 || l.gzip() > 9))
      error.accept(p + ".levels.gzip", l.gzip() + " must be between 1 and 9");
    if (l != null && (l.br() < 0 || l.br() > 11))
      error.accept(p + ".levels.br", l.br() + " must be between 0 and 11");
  }

  static void fault(String p, FaultConfig c, BiConsumer<String, String> error) {
    if (c.delay() == null && c.abort() == null && !c.allowRequestHeader())
      error.accept(p, "a fault middleware needs delay, abort or allowRequestHeader: true");
    if (c.delay() != null && c.delay().duration() != null)
      positive(c.delay().duration(), p + ".delay.duration", error);
    if (c.abort() != null && (c.abort().status() < 200 || c.abort().status() > 599))
      error.accept(p + ".abort.status", c.abort().status() + " must be between 200 and 599");
    if (c.onlyWithHeader() != null && !Syntax.token(c.onlyWithHeader()))
      error.accept(
          p + ".onlyWithHeader", "'" + c.onlyWithHeader() + "' is not a valid header name");
    if (c.maxRequestDelay() != null) positive(c.maxRequestDelay(), p + ".maxRequestDelay", error);
  }

  private static void positive(Duration d, String path, BiConsumer<String, String> error) {
    if (d.isZero() || d.isNegative()) error.accept(path, "must be more than 0s");
  }

  /**
   * @param schemeFailed the scheme was given but is none of the names (already reported)
   */
  static void redirect(
      String p, RedirectConfig c, boolean schemeFailed, BiConsumer<String, String> error) {
    int s = c.status();
    if (s != 301 && s != 302 && s != 307 && s != 308)
      error.accept(p + ".status", s + " must be 301, 302, 307 or 308");
    if (c.host() != null && (c.host().startsWith("*") || !Syntax.HOST.matcher(c.host()).matches()))
      error.accept(p + ".host", "'" + c.host() + "' is not a host name");
    if (c.port() < 0 || c.port() > 65535)
      error.accept(p + ".port", c.port() + " must be between 1 and 65535");
    if (c.prefix() != null && c.path() != null) error.accept(p, "set prefix or path, not both");
    if (c.prefix() != null) {
      path(c.prefix().from(), p + ".prefix.from", error);
      path(c.prefix().to(), p + ".prefix.to", error);
    }
    path(c.path(), p + ".path", error);
    if (c.scheme() == null
        && !schemeFailed
        && c.host() == null
        && c.port() == 0
        && c.prefix() == null
        && c.path() == null)
      error.accept(p, "a redirect needs at least one of scheme, host, port, prefix, path");
  }

  private static void path(String path, String at, BiConsumer<String, String> error) {
    if (path == null) return;
    if (!path.startsWith("/")) error.accept(at, "'" + path + "' must start with '/'");
    else if (path.indexOf('?') >= 0 || path.indexOf('#') >= 0)
      error.accept(at, "'" + path + "' must be a path alone (no '?' or '#')");
    else if (path.chars().anyMatch(ch -> ch <= ' ' || ch == 0x7f))
      error.accept(at, "'" + path + "' must not contain spaces or control characters");
  }
}
