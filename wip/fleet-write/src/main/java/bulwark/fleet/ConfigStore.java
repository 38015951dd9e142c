package bulwark.fleet;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes to the routing config in etcd, one resource at a time (the admin API): read the whole
 * model at one revision, apply the change, validate the whole resulting config as the file would
 * be, then commit in one transaction guarded by {@link WriteGuard} (nothing under the resource
 * kinds changed since the revision read, and no other Bulwark writer committed since), plus the
 * caller's If-Match / If-None-Match on the resource's own key. A guard that fails without a stale
 * precondition is retried from a fresh read a few times. Blocking: call it off the event loop.
 */
public final class ConfigStore {
  /** The kinds a resource can be of (settings is a single resource, not a kind). */
  public static final List<String> KINDS = ResourceKinds.NAMED;

  /** Reads and validations before a write that keeps losing its guard answers 409. */
  static final int ATTEMPTS = 5;

  private final EtcdClient etcd;
  private final String prefix;
  private final BulwarkConfig bootstrap;

  public ConfigStore(EtcdClient etcd, String prefix, BulwarkConfig bootstrap) {
    this.etcd = etcd;
    this.prefix = prefix;
    this.bootstrap = bootstrap;
  }

  /** If-Match (a resource's mod revision) or If-None-Match: *, or neither. */
  public record Precondition(Long ifMatch, boolean ifNoneMatch) {
    public static final Precondition NONE = new Precondition(null, false);

    /**
     * From the request headers (either may be null).
     *
     * @throws IllegalArgumentException with a message for the client, when a header is malformed
     */
    public static Precondition of(String ifMatch, String ifNoneMatch) {
      if (ifNoneMatch != null && !ifNoneMatch.trim().equals("*"))
        throw new IllegalArgumentException(
            "If-None-Match: only * is supported (create only if the resource does not exist)");
      if (ifMatch == null) return new Precondition(null, ifNoneMatch != null);
      String t = ifMatch.trim();
      if (t.startsWith("W/")) t = t.substring(2);
      if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\""))
        t = t.substring(1, t.length() - 1);
      try {
        long rev = Long.parseLong(t);
        if (rev <= 0) throw new NumberFormatException();
        return new Precondition(rev, ifNoneMatch != null);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "If-Match: expected the ETag of the resource (a quoted etcd mod revision, as \"42\"),"
                + " got "
                + ifMatch);
      }
    }
  }

  /** What a write did. */
  public sealed interface Result {
    /** Committed: {@code stored} is the resource as stored (null after a delete). */
    record Written(
        String kind,
        String name,
        boolean created,
        JsonNode before,
        JsonNode stored,
        long modRevision,
        List<String> diff)
        implements Result {}

    /** The resulting config would not validate: every error, with its path. */
    record Invalid(List<ConfigError> errors) implements Result {}

    /** No such resource (delete, or If-Match on a missing one). */
    record NotFound(String kind, String name) implements Result {}

    /** If-Match or If-None-Match did not hold: the resource's current mod revision (0: none). */
    record PreconditionFailed(long current, String detail) implements Result {}

    /** A delete of a resource that others use: who uses it. */
    record InUse(List<String> users) implements Result {}

    /** Other writes kept committing between this write's read and its commit. */
    record Conflict(String detail) implements Result {}
  }

  /** The whole model at one revision. */
  public RoutingModel read() {
    return etcdModel();
  }

  /** Creates or replaces {@code kind/name} with {@code value} (the file's shape). */
  public Result put(String kind, String name, JsonNode value, Precondition pre) {
    JsonNode stored;
    try {
      stored = ResourceKinds.named(kind, name, value);
    } catch (IllegalArgumentException e) {
      return new Result.Invalid(List.of(new ConfigError(kind + "/" + name, e.getMessage())));
    }
    return write(kind, name, stored, pre);
  }

  /** Replaces the settings (versioning, remediation). */
  public Result putSettings(JsonNode value, Precondition pre) {
    if (!value.isObject())
      return new Result.Invalid(
          List.of(new ConfigError("settings", "expected a mapping (versioning, remediation)")));
    return write(ResourceKinds.SETTINGS, ResourceKinds.SETTINGS, value, pre);
  }

  /** Deletes {@code kind/name}, unless a route or group uses it. */
  public Result delete(String kind, String name, Precondition pre) {
    return write(kind, name, null, pre);
  }

  private Result write(String kind, String name, JsonNode value, Precondition pre) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      RoutingModel current = etcdModel();
      RoutingModel.Entry old = current.entry(kind, name);
      long oldRev = old == null ? 0 : old.modRevision();
      if (value == null && old == null) return new Result.NotFound(kind, name);
      if (pre.ifNoneMatch() && old != null)
        return new Result.PreconditionFailed(
            oldRev, kind + "/" + name + " exists (If-None-Match: * creates only)");
      if (pre.ifMatch() != null && old == null) return new Result.NotFound(kind, name);
      if (pre.ifMatch() != null && pre.ifMatch() != oldRev)
        return new Result.PreconditionFailed(
            oldRev,
            kind
                + "/"
                + name
                + " is at revision "
                + oldRev
                + ", not "
                + pre.ifMatch()
                + " (If-Match): read it again and reapply the change");
      if (value == null) {
        List<String> users = References.users(current, kind, name);
        if (!users.isEmpty()) return new Result.InUse(users);
      }
      RoutingModel next = current.with(kind, name, value);
      try {
        next.toConfig(bootstrap);
      } catch (ConfigException e) {
        return new Result.Invalid(e.errors());
      }
      WriteGuard guard = new WriteGuard(prefix, current.revision());
      String key = ResourceKinds.key(prefix, kind, name);
      long committed =
          value == null
              ? guard.delete(etcd, key, oldRev)
              : guard.put(etcd, key, oldRev, ResourceKinds.json(value));
      if (committed > 0) {
        JsonNode before = old == null ? null : old.tree();
        return new Result.Written(
            kind, name, old == null, before, value, committed, TreeDiff.of(before, value));
      }
    }
    return new Result.Conflict(
        "other writes kept changing the config while this one was validated ("
            + ATTEMPTS
            + " attempts); try again");
  }

  private RoutingModel etcdModel() {
    return RoutingModel.read(etcd, prefix);
  }

  static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }

  static ObjectNode object(JsonNode n) {
    return (ObjectNode) n;
  }

  static List<String> list(Map<String, ?> m) {
    return new ArrayList<>(m.keySet());
  }
}
