package bulwark.fleet;

import java.util.Set;

/**
 * Where each routing resource lives in etcd, under one prefix: {@code <prefix>/<kind>/<name>} for
 * upstreams, middlewares, routes and groups, and {@code <prefix>/settings} for versioning and
 * remediation. {@code <prefix>/nodes/...} (the live instances) and {@code <prefix>/meta/...} (write
 * guards) share the prefix but are not config. Pure: no I/O.
 */
public record ResourceLayout(String prefix) {
  /** Top-level names under the prefix that are not config and are skipped when reading it. */
  private static final Set<String> NOT_CONFIG = Set.of("nodes", "meta");

  /** What one key under the prefix is. */
  public sealed interface Parsed {}

  /** A config resource; for the settings, {@code name} is {@link ResourceKinds#SETTINGS}. */
  public record Resource(String kind, String name) implements Parsed {}

  /** A key that is not config: outside the prefix, a node registration or a meta key. */
  public record Ignored(String key) implements Parsed {}

  /** A key under the prefix that cannot be a resource, and why. */
  public record Invalid(String key, String message) implements Parsed {
    /** "key: message", for a log line or an error list. */
    @Override
    public String toString() {
      return key + ": " + message;
    }
  }

  /** {@code prefix} without trailing slashes ("" for keys at the root). */
  public ResourceLayout {
    if (prefix == null) throw new IllegalArgumentException("prefix is null");
    while (prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length() - 1);
  }

  /** The start of every key under the prefix: a range over it reads the whole config. */
  public String rangePrefix() {
    return prefix + "/";
  }

  /** The start of every node registration key: {@code <prefix>/nodes/}. */
  public String nodesPrefix() {
    return prefix + "/nodes/";
  }

  /** The registration key of the gateway instance {@code id}: {@code <prefix>/nodes/<id>}. */
  public String nodeKey(String id) {
    return nodesPrefix() + id;
  }

  /** The start of every key of one named kind: {@code <prefix>/<kind>/}. */
  public String kindPrefix(String kind) {
    requireNamed(kind);
    return prefix + "/" + kind + "/";
  }

  /**
   * The key of {@code kind/name}; for {@link ResourceKinds#SETTINGS} the name is ignored.
   *
   * @throws IllegalArgumentException for an unknown kind or a name that is empty or holds '/'
   */
  public String key(String kind, String name) {
    if (ResourceKinds.SETTINGS.equals(kind)) return prefix + "/" + ResourceKinds.SETTINGS;
    requireNamed(kind);
    String bad = nameProblem(name);
    if (bad != null) throw new IllegalArgumentException(kind + " name " + bad);
    return prefix + "/" + kind + "/" + name;
  }

  /** What {@code key} holds. */
  public Parsed parse(String key) {
    String start = rangePrefix();
    if (!key.startsWith(start)) return new Ignored(key);
    String rest = key.substring(start.length());
    int slash = rest.indexOf('/');
    String kind = slash < 0 ? rest : rest.substring(0, slash);
    if (NOT_CONFIG.contains(kind)) return new Ignored(key);
    if (ResourceKinds.SETTINGS.equals(kind)) {
      return slash < 0
          ? new Resource(ResourceKinds.SETTINGS, ResourceKinds.SETTINGS)
          : new Invalid(key, "settings is a single key (" + prefix + "/settings), not a folder");
    }
    if (!ResourceKinds.NAMED.contains(kind))
      return new Invalid(
          key, "unknown kind '" + kind + "' (known: " + String.join(", ", ResourceKinds.ALL) + ")");
    if (slash < 0)
      return new Invalid(key, "expected " + start + kind + "/<name>, the name is missing");
    String name = rest.substring(slash + 1);
    String bad = nameProblem(name);
    if (bad != null) return new Invalid(key, kind + " name " + bad);
    return new Resource(kind, name);
  }

  /** Why {@code name} cannot be a resource name, or null when it can. */
  static String nameProblem(String name) {
    if (name == null || name.isEmpty()) return "is empty";
    if (name.indexOf('/') >= 0) return "'" + name + "' must not contain '/'";
    return null;
  }

  private static void requireNamed(String kind) {
    if (!ResourceKinds.NAMED.contains(kind))
      throw new IllegalArgumentException(
          "unknown kind '" + kind + "' (known: " + String.join(", ", ResourceKinds.NAMED) + ")");
  }
}
