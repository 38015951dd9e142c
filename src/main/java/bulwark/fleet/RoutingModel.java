package bulwark.fleet;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigTrees;
import bulwark.config.GroupConfig;
import bulwark.config.RouteConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The routing configuration as etcd holds it: kind -> name -> {@link Entry} (the resource's tree in
 * the file's shape and the mod revision of its key), plus the settings, at one store revision.
 * Immutable: a watch batch or a write gives a new model. Pure: no I/O.
 *
 * <p>A key whose value cannot be a resource (malformed JSON/YAML, not a mapping, an unknown kind, a
 * name that differs from the key's) does not spoil the rest: it is left out and reported by {@link
 * #errors()} with its key. When a watch puts such a value on a key that held a good one, the good
 * one is kept (the bad change is refused) until the key gets a good value or is deleted. {@link
 * #toConfig} binds the good entries only; the caller reports {@link #errors()}.
 *
 * <p>Route and group order means nothing (precedence is by specificity): {@link #toRoutingTree()}
 * lists them sorted by name, so the same keys always give the same tree and error paths such as
 * {@code routes[3]} map back to one key.
 */
public final class RoutingModel {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final List<String> SETTINGS_FIELDS = List.of("versioning", "remediation");

  /** One resource: its tree (do not modify it) and the mod revision of its key (0: not stored). */
  public record Entry(JsonNode tree, long modRevision) {}

  private final ResourceLayout layout;
  private final long revision;

  /** kind (every one of {@link ResourceKinds#ALL}) -> name (sorted) -> entry. */
  private final Map<String, Map<String, Entry>> entries;

  /** key (sorted) -> why its value is not in the model. */
  private final Map<String, ConfigError> errors;

  private RoutingModel(
      ResourceLayout layout,
      long revision,
      Map<String, Map<String, Entry>> entries,
      Map<String, ConfigError> errors) {
    this.layout = layout;
    this.revision = revision;
    this.entries = entries;
    this.errors = errors;
  }

  /** An empty model (no resource) at revision 0. */
  public static RoutingModel empty(ResourceLayout layout) {
    return new RoutingModel(layout, 0, freeze(mutable(Map.of())), Map.of());
  }

  /** The model a range over {@link ResourceLayout#rangePrefix()} read. */
  public static RoutingModel of(RangeResult range, ResourceLayout layout) {
    return of(range.kvs(), range.revision(), layout);
  }

  /** The model of {@code kvs} (keys under the prefix) read at {@code revision}. */
  public static RoutingModel of(List<KeyValue> kvs, long revision, ResourceLayout layout) {
    List<WatchEvent> puts = new ArrayList<>(kvs.size());
    for (KeyValue kv : kvs) puts.add(new WatchEvent(WatchEvent.Type.PUT, kv));
    RoutingModel m = empty(layout).with(puts);
    return new RoutingModel(layout, revision, m.entries, m.errors);
  }

  /**
   * This model with a watch batch applied in order; its revision becomes the highest mod revision
   * seen (or stays, if higher). Keys that are not config are skipped.
   */
  public RoutingModel with(List<WatchEvent> events) {
    Map<String, Map<String, Entry>> next = mutable(entries);
    Map<String, ConfigError> errs = new TreeMap<>(errors);
    long rev = revision;
    for (WatchEvent ev : events) {
      KeyValue kv = ev.kv();
      rev = Math.max(rev, kv.modRevision());
      String key = kv.key();
      switch (layout.parse(key)) {
        case ResourceLayout.Ignored ignored -> {}
        case ResourceLayout.Invalid bad -> {
          if (ev.type() == WatchEvent.Type.PUT) errs.put(key, new ConfigError(key, bad.message()));
          else errs.remove(key);
        }
        case ResourceLayout.Resource r -> {
          errs.remove(key);
          if (ev.type() == WatchEvent.Type.DELETE) {
            next.get(r.kind()).remove(r.name());
            continue;
          }
          try {
            JsonNode tree = decode(r.kind(), r.name(), ConfigTrees.readValue(kv.text()));
            next.get(r.kind()).put(r.name(), new Entry(tree, kv.modRevision()));
          } catch (ConfigException e) {
            ConfigError first = e.errors().get(0);
            String where = first.path().isEmpty() ? "" : first.path() + ": ";
            errs.put(key, new ConfigError(key, where + first.message()));
          } catch (IllegalArgumentException e) {
            errs.put(key, new ConfigError(key, e.getMessage()));
          }
        }
      }
    }
    return new RoutingModel(layout, rev, freeze(next), Collections.unmodifiableMap(errs));
  }

  /**
   * This model with {@code kind/name} set to {@code tree} (mod revision 0: not stored yet), or
   * removed when {@code tree} is null; for the settings, {@code name} is ignored. The revision and
   * the errors of other keys are kept.
   *
   * @throws IllegalArgumentException for an unknown kind, a bad name, or a tree that cannot be that
   *     resource (not a mapping, a name that differs from {@code name}, a settings field other than
   *     versioning and remediation)
   */
  public RoutingModel with(String kind, String name, JsonNode tree) {
    boolean settings = ResourceKinds.SETTINGS.equals(kind);
    String n = settings ? ResourceKinds.SETTINGS : name;
    String key = layout.key(kind, n);
    Map<String, Map<String, Entry>> next = mutable(entries);
    if (tree == null) next.get(kind).remove(n);
    else next.get(kind).put(n, new Entry(decode(kind, n, tree), 0));
    Map<String, ConfigError> errs = new TreeMap<>(errors);
    errs.remove(key);
    return new RoutingModel(layout, revision, freeze(next), Collections.unmodifiableMap(errs));
  }

  /** The store revision this model is at (0 when it was not read from etcd). */
  public long revision() {
    return revision;
  }

  public ResourceLayout layout() {
    return layout;
  }

  /** Keys whose values are not in the model, each with the key as its path; sorted by key. */
  public List<ConfigError> errors() {
    return List.copyOf(errors.values());
  }

  /** The resource {@code kind/name} (for the settings: any name), or null. */
  public Entry entry(String kind, String name) {
    Map<String, Entry> m = entries.get(kind);
    if (m == null) return null;
    return m.get(ResourceKinds.SETTINGS.equals(kind) ? ResourceKinds.SETTINGS : name);
  }

  /** The trees of one kind by name, sorted (empty for an unknown kind). Do not modify the trees. */
  public Map<String, JsonNode> trees(String kind) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    entries.getOrDefault(kind, Map.of()).forEach((n, e) -> out.put(n, e.tree()));
    return Collections.unmodifiableMap(out);
  }

  /** Every kind's trees (the settings under the name settings), as {@link ModelDiff} takes them. */
  public Map<String, Map<String, JsonNode>> trees() {
    Map<String, Map<String, JsonNode>> out = new LinkedHashMap<>();
    for (String kind : ResourceKinds.ALL) out.put(kind, trees(kind));
    return Collections.unmodifiableMap(out);
  }

  /** The settings tree (versioning, remediation), or null when there is none. */
  public JsonNode settings() {
    Entry e = entry(ResourceKinds.SETTINGS, ResourceKinds.SETTINGS);
    return e == null ? null : e.tree();
  }

  /**
   * The routing configuration in the file's shape: upstreams and middlewares as maps by name,
   * routes and groups as lists sorted by name, versioning and remediation from the settings. Empty
   * sections are left out. A fresh tree: the caller may modify it.
   */
  public ObjectNode toRoutingTree() {
    ObjectNode root = F.objectNode();
    for (String kind : List.of("upstreams", "middlewares")) {
      if (entries.get(kind).isEmpty()) continue;
      ObjectNode o = root.putObject(kind);
      entries.get(kind).forEach((n, e) -> o.set(n, e.tree().deepCopy()));
    }
    for (String kind : List.of("routes", "groups")) {
      if (entries.get(kind).isEmpty()) continue;
      ArrayNode a = root.putArray(kind);
      entries.get(kind).values().forEach(e -> a.add(e.tree().deepCopy()));
    }
    JsonNode s = settings();
    if (s != null) for (String f : SETTINGS_FIELDS) if (s.has(f)) root.set(f, s.get(f).deepCopy());
    return root;
  }

  /**
   * Binds this model's routing tree into {@code bootstrap} (whose server, admin, observability,
   * cluster and configSource are kept) and validates the whole as a config file is validated.
   *
   * @throws ConfigException with every error; an error inside one resource has that resource's key
   *     as its path and the field path inside it at the start of its message ({@code
   *     /bulwark/routes/orders: upstream: unknown upstream 'x'})
   */
  public BulwarkConfig toConfig(BulwarkConfig bootstrap) throws ConfigException {
    try {
      return ConfigTrees.bindRouting(bootstrap, toRoutingTree());
    } catch (ConfigException e) {
      ErrorKeys keys =
          new ErrorKeys(
              layout,
              List.copyOf(entries.get("routes").keySet()),
              List.copyOf(entries.get("groups").keySet()),
              entries.get("upstreams").keySet(),
              entries.get("middlewares").keySet());
      throw new ConfigException(e.errors().stream().map(keys::map).toList());
    }
  }

  /**
   * The routing configuration as YAML in the file's shape, which a config file or apply accepts.
   */
  public String toYaml() {
    return ConfigTrees.toYaml(toRoutingTree());
  }

  /**
   * The model of {@code cfg}'s routing sections (revision 0), under the prefix of its etcd source
   * if it has one. A group without a name gets one made from its prefix ({@code /api/v1} -> {@code
   * api-v1}, with {@code -2}, {@code -3} ... when taken).
   */
  public static RoutingModel fromConfig(BulwarkConfig cfg) {
    String prefix =
        cfg.configSource() != null && cfg.configSource().etcd() != null
            ? cfg.configSource().etcd().prefix()
            : "";
    return fromConfig(cfg, new ResourceLayout(prefix == null ? "" : prefix));
  }

  /** The model of {@code cfg}'s routing sections (revision 0) under {@code layout}. */
  public static RoutingModel fromConfig(BulwarkConfig cfg, ResourceLayout layout) {
    Map<String, Map<String, Entry>> m = mutable(Map.of());
    if (cfg.upstreams() != null)
      cfg.upstreams().forEach((n, u) -> m.get("upstreams").put(n, entry(ConfigTrees.toTree(u))));
    if (cfg.middlewares() != null)
      cfg.middlewares()
          .forEach((n, mw) -> m.get("middlewares").put(n, entry(ConfigTrees.toTree(mw))));
    if (cfg.routes() != null)
      for (RouteConfig r : cfg.routes()) {
        String n = unique(m.get("routes"), r.name() == null ? "route" : r.name());
        m.get("routes").put(n, entry(named(ConfigTrees.toTree(r), n)));
      }
    if (cfg.groups() != null)
      for (GroupConfig g : cfg.groups()) {
        String n = unique(m.get("groups"), g.name() != null ? g.name() : nameOf(g.prefix()));
        m.get("groups").put(n, entry(named(ConfigTrees.toTree(g), n)));
      }
    ObjectNode s = F.objectNode();
    if (cfg.versioning() != null) s.set("versioning", ConfigTrees.toTree(cfg.versioning()));
    if (cfg.remediation() != null) s.set("remediation", ConfigTrees.toTree(cfg.remediation()));
    if (!s.isEmpty()) m.get(ResourceKinds.SETTINGS).put(ResourceKinds.SETTINGS, entry(s));
    return new RoutingModel(layout, 0, freeze(m), Map.of());
  }

  /**
   * {@code value} checked as the resource {@code kind/name}: a mapping; for a route or group, a
   * {@code name} equal to {@code name} (filled in when missing); for the settings, only versioning
   * and remediation. A copy: the caller's tree is not kept.
   */
  private static JsonNode decode(String kind, String name, JsonNode value) {
    if (!value.isObject())
      throw new IllegalArgumentException(
          "expected a mapping (the "
              + (ResourceKinds.SETTINGS.equals(kind) ? "settings" : kind + " entry")
              + " as in the config file), got "
              + value.getNodeType().toString().toLowerCase(Locale.ROOT));
    ObjectNode o = (ObjectNode) value.deepCopy();
    if (kind.equals("routes") || kind.equals("groups")) {
      JsonNode n = o.get("name");
      if (n == null || n.isNull()) return named(o, name);
      if (!n.isTextual() || !n.textValue().equals(name))
        throw new IllegalArgumentException(
            "name: '"
                + (n.isTextual() ? n.textValue() : n.toString())
                + "' differs from the name in the key ('"
                + name
                + "'); leave it out or make them equal");
    }
    if (ResourceKinds.SETTINGS.equals(kind))
      for (var it = o.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!SETTINGS_FIELDS.contains(f))
          throw new IllegalArgumentException(
              f + ": not a settings field (settings holds versioning and remediation)");
      }
    return o;
  }

  /** {@code tree} with {@code name} as its first field. */
  private static ObjectNode named(JsonNode tree, String name) {
    ObjectNode o = F.objectNode();
    o.put("name", name);
    tree.fields()
        .forEachRemaining(
            f -> {
              if (!f.getKey().equals("name")) o.set(f.getKey(), f.getValue());
            });
    return o;
  }

  private static String nameOf(String prefix) {
    String n = prefix == null ? "" : prefix.replaceAll("[^A-Za-z0-9._-]+", "-");
    n = n.replaceAll("^-+|-+$", "");
    return n.isEmpty() ? "group" : n;
  }

  private static String unique(Map<String, Entry> taken, String name) {
    String n = name.replace('/', '-');
    if (!taken.containsKey(n)) return n;
    int i = 2;
    while (taken.containsKey(n + "-" + i)) i++;
    return n + "-" + i;
  }

  /**
   * An entry of a config's tree, normalized to what reading its YAML gives (numbers as their text,
   * as {@link ConfigTrees#readValue} keeps them), so trees from a file and from etcd compare equal.
   */
  private static Entry entry(JsonNode tree) {
    try {
      return new Entry(ConfigTrees.readValue(ConfigTrees.toYaml(tree)), 0);
    } catch (ConfigException e) {
      throw new IllegalStateException("a config's own tree does not read back: " + e, e);
    }
  }

  private static Map<String, Map<String, Entry>> mutable(Map<String, Map<String, Entry>> from) {
    Map<String, Map<String, Entry>> out = new LinkedHashMap<>();
    for (String kind : ResourceKinds.ALL)
      out.put(kind, new TreeMap<>(from.getOrDefault(kind, Map.of())));
    return out;
  }

  private static Map<String, Map<String, Entry>> freeze(Map<String, Map<String, Entry>> m) {
    Map<String, Map<String, Entry>> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, Collections.unmodifiableMap(v)));
    return Collections.unmodifiableMap(out);
  }
}
