package bulwark.fleet;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One write of one resource (the admin {@code /config} API), planned against the model read from
 * etcd: its preconditions checked, the whole resulting config validated as a file is, and the etcd
 * transaction that commits it only if nothing it was validated against changed. Pure: {@link
 * ConfigStore} does the I/O.
 */
public final class ConfigWrite {
  /**
   * Most compares a transaction gets for the resources the written one names (etcd's limit: 128).
   */
  static final int MAX_REF_COMPARES = 100;

  /** An integer that JSON carries exactly (JavaScript's safe range, no leading zero). */
  private static final Pattern INTEGER = Pattern.compile("0|-?[1-9][0-9]{0,14}");

  private ConfigWrite() {}

  /**
   * The conditional headers of a write. {@code ifMatch}: the ETags (mod revisions) one of which the
   * resource must be at, or null for no If-Match; {@code anyExisting}: If-Match: * (it must exist);
   * {@code createOnly}: If-None-Match: * (it must not exist).
   */
  public record Precondition(Set<Long> ifMatch, boolean anyExisting, boolean createOnly) {
    public static final Precondition NONE = new Precondition(null, false, false);

    /**
     * From the request's If-Match and If-None-Match (either may be null).
     *
     * @throws IllegalArgumentException with a message for the client when a header is malformed
     */
    public static Precondition of(String ifMatch, String ifNoneMatch) {
      boolean createOnly = false;
      if (ifNoneMatch != null) {
        if (!ifNoneMatch.trim().equals("*"))
          throw new IllegalArgumentException(
              "If-None-Match: only * is supported on a write (create only if it does not exist)");
        createOnly = true;
      }
      if (ifMatch == null) return new Precondition(null, false, createOnly);
      if (ifMatch.trim().equals("*")) return new Precondition(null, true, createOnly);
      Set<Long> revs = new LinkedHashSet<>();
      for (String part : ifMatch.split(",")) {
        String t = part.trim();
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\""))
          t = t.substring(1, t.length() - 1);
        try {
          long rev = Long.parseLong(t);
          if (rev <= 0) throw new NumberFormatException();
          revs.add(rev);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "If-Match: expected * or the resource's ETag (its etcd mod revision, quoted: \"42\"),"
                  + " got "
                  + ifMatch);
        }
      }
      return new Precondition(Set.copyOf(revs), false, createOnly);
    }

    /** Why a resource at {@code modRevision} (0: absent) fails it, or null when it holds. */
    String broken(long modRevision) {
      if (createOnly && modRevision != 0)
        return "it exists, at ETag \"" + modRevision + "\" (If-None-Match: * only creates)";
      if ((anyExisting || ifMatch != null) && modRevision == 0)
        return "it does not exist (If-Match needs an existing resource)";
      if (ifMatch != null && !ifMatch.contains(modRevision))
        return "it is at ETag \""
            + modRevision
            + "\", not "
            + ifMatch.stream().map(r -> "\"" + r + "\"").toList()
            + " (If-Match): read it again and reapply the change";
      return null;
    }

    boolean conditional() {
      return createOnly || anyExisting || ifMatch != null;
    }
  }

  /** What a write did, or why it did not. */
  public sealed interface Result {
    enum Op {
      CREATE,
      UPDATE,
      DELETE
    }

    /**
     * Committed at {@code revision} (the key's new mod revision). {@code stored}: the resource as
     * stored (null after a delete); {@code diff}: field-level, secrets redacted ({@link TreeDiff}).
     */
    record Written(
        String kind, String name, Op op, JsonNode stored, long revision, List<String> diff)
        implements Result {
      Written at(long rev) {
        return new Written(kind, name, op, stored, rev, diff);
      }
    }

    /** The resulting config would be invalid: every error, with its key and field path. */
    record Invalid(List<ConfigError> errors) implements Result {}

    /** No such resource to delete. */
    record NotFound(String kind, String name) implements Result {}

    /** If-Match or If-None-Match does not hold: the resource's mod revision now (0: absent). */
    record PreconditionFailed(long current, String detail) implements Result {}

    /** A delete of a resource that others name: who (see {@link References#users}). */
    record InUse(List<String> users) implements Result {}

    /** Other writes kept committing between this one's read and its commit. */
    record Conflict(String detail) implements Result {}
  }

  /** The next step of a write: answer now, or try this transaction. */
  sealed interface Step {
    record Done(Result result) implements Step {}

    /** Compares, then on success the writes; on failure a read of the resource's key. */
    record Commit(String key, List<Compare> compares, List<TxnOp> success, Result.Written written)
        implements Step {}
  }

  /**
   * Plans setting {@code kind/name} to {@code value} (null: deleting it) on {@code current}, with
   * {@code bootstrap} for the validation. {@code who} names the writer in the guard key.
   */
  static Step plan(
      RoutingModel current,
      BulwarkConfig bootstrap,
      String kind,
      String name,
      JsonNode value,
      Precondition pre,
      String who) {
    ResourceLayout layout = current.layout();
    String key;
    try {
      key = layout.key(kind, name);
    } catch (IllegalArgumentException e) {
      return done(new Result.Invalid(List.of(new ConfigError(kind + "/" + name, e.getMessage()))));
    }
    RoutingModel.Entry old = current.entry(kind, name);
    long oldRev = old == null ? 0 : old.modRevision();
    String broken = pre.broken(oldRev);
    if (broken != null)
      return done(new Result.PreconditionFailed(oldRev, label(kind, name) + ": " + broken));
    if (value == null && old == null) return done(new Result.NotFound(kind, name));
    if (value == null) {
      List<String> users = References.users(current, kind, name);
      if (!users.isEmpty()) return done(new Result.InUse(users));
    }
    if (value != null && value.isObject() && value.has("name") && namedByKey(kind)) {
      return done(
          new Result.Invalid(
              List.of(
                  new ConfigError(
                      key,
                      "name: "
                          + kind
                          + " have no name field: the name is the key's (the URL's {name});"
                          + " leave it out"))));
    }
    RoutingModel next;
    try {
      next = current.with(kind, name, value);
    } catch (IllegalArgumentException e) {
      return done(new Result.Invalid(List.of(new ConfigError(key, e.getMessage()))));
    }
    List<ConfigError> errors = new ArrayList<>(next.errors());
    try {
      next.toConfig(bootstrap);
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    if (!errors.isEmpty()) return done(new Result.Invalid(List.copyOf(errors)));

    JsonNode stored = value == null ? null : next.entry(kind, name).tree();
    WriteGuard guard = new WriteGuard(layout, current.revision());
    List<Compare> compares = new ArrayList<>(guard.compares());
    // the key itself: a delete made by hand since the read is seen too
    compares.add(Compare.modRevision(key, oldRev));
    if (stored != null) compares.addAll(referenced(current, kind, stored));
    Result.Op op =
        value == null ? Result.Op.DELETE : old == null ? Result.Op.CREATE : Result.Op.UPDATE;
    List<TxnOp> success = new ArrayList<>();
    success.add(stored == null ? TxnOp.Delete.of(key) : TxnOp.Put.of(key, text(stored)));
    success.add(
        guard.mark(op.name().toLowerCase(Locale.ROOT) + " " + label(kind, name) + " by " + who));
    List<String> diff = TreeDiff.of(old == null ? null : old.tree(), stored);
    return new Step.Commit(
        key,
        List.copyOf(compares),
        List.copyOf(success),
        new Result.Written(kind, name, op, stored, 0, diff));
  }

  /**
   * Each resource {@code stored} names, at the mod revision it was read at: a range compare does
   * not see a key deleted by hand (etcdctl) since, this does. Skipped past {@link
   * #MAX_REF_COMPARES} (the guard key still catches every Bulwark writer).
   */
  private static List<Compare> referenced(RoutingModel current, String kind, JsonNode stored) {
    List<Compare> out = new ArrayList<>();
    for (References.Ref r : References.of(kind, stored)) {
      RoutingModel.Entry e = current.entry(r.kind(), r.name());
      if (e != null && e.modRevision() > 0)
        out.add(Compare.modRevision(current.layout().key(r.kind(), r.name()), e.modRevision()));
    }
    return out.size() > MAX_REF_COMPARES ? List.of() : out;
  }

  /**
   * Upstreams and middlewares have no name field: their name is their key's (a map key in a file).
   */
  private static boolean namedByKey(String kind) {
    return kind.equals("upstreams") || kind.equals("middlewares");
  }

  static String label(String kind, String name) {
    return ResourceKinds.SETTINGS.equals(kind) ? kind : kind + "/" + name;
  }

  /** The value stored in etcd: compact JSON, integers as JSON numbers. */
  static String text(JsonNode tree) {
    return forJson(tree).toString();
  }

  /**
   * {@code tree} for a JSON reader: a text that is an integer JSON carries exactly becomes a
   * number. The config parser keeps every scalar as its text ({@code 10} and {@code "10"} read the
   * same), so this changes nothing a gateway sees. A fresh tree.
   */
  public static JsonNode forJson(JsonNode tree) {
    if (tree.isTextual() && INTEGER.matcher(tree.textValue()).matches())
      return JsonNodeFactory.instance.numberNode(Long.parseLong(tree.textValue()));
    if (tree.isObject()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      tree.fields().forEachRemaining(f -> o.set(f.getKey(), forJson(f.getValue())));
      return o;
    }
    if (tree.isArray()) {
      var a = JsonNodeFactory.instance.arrayNode();
      tree.forEach(n -> a.add(forJson(n)));
      return a;
    }
    return tree.deepCopy();
  }

  private static Step done(Result r) {
    return new Step.Done(r);
  }
}
