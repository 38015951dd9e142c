package bulwark.config;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates docs/bulwark.schema.json (JSON Schema 2020-12) and docs/configuration.md from the
 * config records and their {@link Doc} annotations, the one source of every field's meaning, unit
 * and default. Output is deterministic: record component order, "\n" line ends.
 *
 * <p>{@code java -cp ... bulwark.config.ConfigDocs [DIR]} writes both files into DIR (default
 * {@code docs}); {@code make docs} runs it, and ConfigDocsTest fails when the committed files
 * differ.
 */
public final class ConfigDocs {
  public static final String SCHEMA_FILE = "bulwark.schema.json";
  public static final String MARKDOWN_FILE = "configuration.md";

  /** The worked example of configuration.md; ConfigDocsTest checks that it loads. */
  static final String EXAMPLE =
      """
      server:
        listen: "0.0.0.0:${PORT:-8080}"
        trustedProxies: ["10.0.0.0/8"]
        limits:
          maxBodyBytes: 1MiB
      admin:
        listen: "127.0.0.1:9901"
      upstreams:
        users:
          targets:
            - url: http://10.0.1.10:8080
              weight: 3
            - url: http://10.0.1.11:8080
          timeouts: { connect: 500ms, response: 5s }
        orders:
          targets: [ { url: http://10.0.2.10:8080 } ]
          balancer: consistent_hash
          hashOn: header:X-User-Id
      middlewares:
        tag:
          headers:
            request:
              set: { X-Gateway: bulwark }
            response:
              remove: [Server]
      routes:
        - name: user-profile
          match: { path: "/profiles/{id}", methods: [GET] }
          upstream: users
          rewrite: "/users/{id}/profile"
          timeout: 3s
      groups:
        - prefix: /api/v1
          stripPrefix: true
          middlewares: [tag]
          routes:
            - name: orders-v1
              match: { path: /orders/** }
              upstream: orders
      """;

  /** A config with mistakes, to show in configuration.md what the loader reports for it. */
  static final String BROKEN_EXAMPLE =
      """
      upstreams:
        users:
          targets: [ { url: http://10.0.1.10:8080 } ]
          balancr: round_robin
          timeouts: { connect: 5 seconds }
      routes:
        - name: users
          match: { path: /users/** }
          upstream: user
          middlewares: [auth]
      """;

  private ConfigDocs() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "docs");
    write(dir);
    System.out.println("wrote " + dir.resolve(SCHEMA_FILE) + " and " + dir.resolve(MARKDOWN_FILE));
  }

  /** Writes both files into {@code dir}, creating it when needed. */
  public static void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(SCHEMA_FILE), schema(), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve(MARKDOWN_FILE), markdown(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- the walk over the records

  /**
   * A record type of the config, in the order the walk first reaches it, with the YAML paths it
   * appears at ("" for the top level, "routes[]" for list items, "upstreams.&lt;name&gt;" for map
   * values), first one first, and for each the text of the field that reaches it there.
   */
  record Section(Class<?> type, List<String> paths, List<String> descriptions) {
    String path() {
      return paths.get(0);
    }

    /**
     * What the section is: the text of the field reaching it, or of each field, by path, when
     * several do.
     */
    String description() {
      if (paths.size() == 1) return descriptions.get(0);
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) parts.add(paths.get(i) + ": " + descriptions.get(i));
      return String.join(" ", parts);
    }
  }

  /** Every record type reachable from {@link BulwarkConfig}, depth first, in component order. */
  static List<Section> sections() {
    Map<Class<?>, Section> out = new LinkedHashMap<>();
    walk(
        BulwarkConfig.class,
        "",
        "The whole config file: one YAML mapping with these keys, all optional.",
        out);
    return List.copyOf(out.values());
  }

  private static void walk(
      Class<?> type, String path, String description, Map<Class<?>, Section> out) {
    Section seen = out.get(type);
    if (seen != null) {
      if (!seen.paths().contains(path)) {
        seen.paths().add(path);
        seen.descriptions().add(description);
      }
      return;
    }
    out.put(
        type,
        new Section(type, new ArrayList<>(List.of(path)), new ArrayList<>(List.of(description))));
    for (RecordComponent rc : type.getRecordComponents()) {
      Doc d = doc(rc);
      if (!d.later().isEmpty()) continue;
      Type t = rc.getGenericType();
      while (t instanceof ParameterizedType pt)
        t = pt.getActualTypeArguments()[pt.getActualTypeArguments().length - 1];
      if (t instanceof Class<?> c && isSection(c)) walk(c, childPath(path, rc), d.value(), out);
    }
  }

  /**
   * The YAML path of what a component holds: {@code routes[]} for a list, {@code upstreams.<name>}
   * for a map.
   */
  static String childPath(String path, RecordComponent rc) {
    String p = join(path, Binder.keyOf(rc));
    Type t = rc.getGenericType();
    while (t instanceof ParameterizedType pt) {
      if (pt.getRawType() == List.class) {
        p += "[]";
        t = pt.getActualTypeArguments()[0];
      } else {
        p += ".<name>";
        t = pt.getActualTypeArguments()[1];
      }
    }
    return p;
  }

  /** A record bound as a YAML mapping (the value types ByteSize, Percent and Rate are scalars). */
  static boolean isSection(Class<?> c) {
    return c.isRecord() && !Binder.scalar(c);
  }

  static Doc doc(RecordComponent rc) {
    Doc d = rc.getAnnotation(Doc.class);
    if (d == null) {
      throw new IllegalStateException(
          rc.getDeclaringRecord().getSimpleName() + "." + rc.getName() + " has no @Doc");
    }
    return d;
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The unit of a list whose items are names or HTTP statuses (written bare in YAML). */
  static final String STRINGS_OR_STATUSES = "list of names or statuses";

  static String notSupported(String capability) {
    return "Not supported yet (arrives with the " + capability + " capability).";
  }

  /** The names a value may take: its enum's, or @Doc oneOf; empty for free text. */
  static List<String> oneOf(Class<?> c, Doc d) {
    if (Names.isNames(c)) return Names.of(c);
    return d == null ? List.of() : Arrays.asList(d.oneOf());
  }

  /** docs/bulwark.schema.json, pretty-printed, ending in a newline. */
  public static String schema() {
    return ConfigSchema.schema();
  }

  /** docs/configuration.md. */
  public static String markdown() {
    return ConfigMarkdown.markdown();
  }
}
