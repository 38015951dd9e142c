package bulwark.config;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Generates docs/bulwark.schema.json (JSON Schema 2020-12) and docs/configuration.md from the
 * config records and their {@link Doc} annotations, the one source of every field's meaning, unit
 * and default. Output is deterministic: record component order, "\n" line ends.
 *
 * <p>{@code java -cp ... bulwark.config.ConfigDocs [DIR]} writes both files into DIR (default
 * {@code docs}); {@code make docs} runs it, and ConfigDocsTest fails when the committed files differ.
 */
public final class ConfigDocs {
  public static final String SCHEMA_FILE = "bulwark.schema.json";
  public static final String MARKDOWN_FILE = "configuration.md";

  static final String DURATION_PATTERN = "^\\d+(ms|s|m|h)$";
  static final String SIZE_PATTERN = "^\\d+(B|KiB|MiB|GiB)?$";
  static final String PERCENT_PATTERN = "^\\d{1,3}(\\.\\d{1,4})?%$";
  static final String RATE_PATTERN = "^\\d+/(s|min|h)$";

  /** The worked example of configuration.md; ConfigDocsTest checks that it loads. */
  static final String EXAMPLE = """
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
  static final String BROKEN_EXAMPLE = """
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

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

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

    /** What the section is: the text of the field reaching it, or of each field, by path, when several do. */
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
    walk(BulwarkConfig.class, "", "The whole config file: one YAML mapping with these keys, all optional.", out);
    return List.copyOf(out.values());
  }

  private static void walk(Class<?> type, String path, String description, Map<Class<?>, Section> out) {
    Section seen = out.get(type);
    if (seen != null) {
      if (!seen.paths().contains(path)) {
        seen.paths().add(path);
        seen.descriptions().add(description);
      }
      return;
    }
    out.put(type, new Section(type, new ArrayList<>(List.of(path)), new ArrayList<>(List.of(description))));
    for (RecordComponent rc : type.getRecordComponents()) {
      Doc d = doc(rc);
      if (!d.later().isEmpty()) continue;
      Type t = rc.getGenericType();
      while (t instanceof ParameterizedType pt) t = pt.getActualTypeArguments()[pt.getActualTypeArguments().length - 1];
      if (t instanceof Class<?> c && isSection(c)) walk(c, childPath(path, rc), d.value(), out);
    }
  }

  /** The YAML path of what a component holds: {@code routes[]} for a list, {@code upstreams.<name>} for a map. */
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
    return c.isRecord() && c != ByteSize.class && c != Percent.class && c != Rate.class;
  }

  static Doc doc(RecordComponent rc) {
    Doc d = rc.getAnnotation(Doc.class);
    if (d == null) {
      throw new IllegalStateException(rc.getDeclaringRecord().getSimpleName() + "." + rc.getName() + " has no @Doc");
    }
    return d;
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  // ---------------------------------------------------------------- JSON Schema

  /** docs/bulwark.schema.json, pretty-printed, ending in a newline. */
  public static String schema() {
    ObjectNode root = F.objectNode();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    root.put("title", "Bulwark configuration");
    root.put("description", "The Bulwark config file (YAML). Generated from the config records by bulwark.config.ConfigDocs:"
        + " do not edit, run `make docs`. Values are checked as they are after ${NAME} and ${NAME:-default} substitution."
        + " See docs/configuration.md.");
    root.put("$ref", "#/$defs/" + BulwarkConfig.class.getSimpleName());
    ObjectNode defs = root.putObject("$defs");
    for (Section s : sections()) defs.set(s.type().getSimpleName(), recordSchema(s));
    DefaultIndenter indent = new DefaultIndenter("  ", "\n");
    DefaultPrettyPrinter pretty = new DefaultPrettyPrinter(
        Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(indent)
        .withArrayIndenter(indent);
    try {
      return new ObjectMapper().writer(pretty).writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode recordSchema(Section s) {
    ObjectNode o = F.objectNode();
    o.put("type", "object");
    o.put("description", s.description());
    ObjectNode props = o.putObject("properties");
    ArrayNode required = F.arrayNode();
    for (RecordComponent rc : s.type().getRecordComponents()) {
      Doc d = doc(rc);
      String key = Binder.keyOf(rc);
      props.set(key, propertySchema(rc, d));
      if (d.required() && d.later().isEmpty()) required.add(key);
    }
    if (!required.isEmpty()) o.set("required", required);
    if (Binder.ONE_OF.contains(s.type())) {
      o.put("minProperties", 1);
      o.put("maxProperties", 1);
    }
    o.put("additionalProperties", false);
    return o;
  }

  private static ObjectNode propertySchema(RecordComponent rc, Doc d) {
    ObjectNode p = F.objectNode();
    if (!d.later().isEmpty()) {
      p.put("description", d.value() + " " + notSupported(d.later()));
      return p;
    }
    String format = formatHint(d.unit());
    p.put("description", format.isEmpty() ? d.value() : d.value() + " Format: " + format + ".");
    p.setAll(typeSchema(rc.getGenericType(), d));
    if (!d.dflt().isEmpty()) p.set("default", defaultValue(rc.getType(), d.dflt()));
    return p;
  }

  /** The unit of a list whose items are names or HTTP statuses (written bare in YAML). */
  static final String STRINGS_OR_STATUSES = "list of names or statuses";

  static String notSupported(String capability) {
    return "Not supported yet (arrives with the " + capability + " capability).";
  }

  private static ObjectNode typeSchema(Type t, Doc d) {
    ObjectNode s = F.objectNode();
    if (t instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      if (raw == List.class) {
        s.put("type", "array");
        ObjectNode items = typeSchema(pt.getActualTypeArguments()[0], null);
        // retry.on mixes condition names and statuses; YAML reads a bare 502 as a number
        if (d != null && d.unit().equals(STRINGS_OR_STATUSES)) items.putArray("type").add("string").add("integer");
        s.set("items", items);
      } else if (raw == Map.class) {
        s.put("type", "object");
        s.set("additionalProperties", typeSchema(pt.getActualTypeArguments()[1], null));
      } else {
        throw new IllegalStateException("no schema for config type " + t);
      }
      return s;
    }
    Class<?> c = (Class<?>) t;
    if (c == String.class || Names.isNames(c)) {
      s.put("type", "string");
      List<String> names = oneOf(c, d);
      if (!names.isEmpty()) {
        ArrayNode e = s.putArray("enum");
        for (String v : names) e.add(v);
      }
    } else if (c == boolean.class || c == Boolean.class) {
      s.put("type", "boolean");
    } else if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
      s.put("type", "integer");
    } else if (c == Duration.class) {
      s.put("type", "string");
      s.put("pattern", DURATION_PATTERN);
    } else if (c == ByteSize.class) {
      s.putArray("type").add("integer").add("string");
      s.put("minimum", 0);
      s.put("pattern", SIZE_PATTERN);
    } else if (c == Percent.class) {
      s.put("type", "string");
      s.put("pattern", PERCENT_PATTERN);
    } else if (c == Rate.class) {
      s.put("type", "string");
      s.put("pattern", RATE_PATTERN);
    } else if (isSection(c)) {
      s.put("$ref", "#/$defs/" + c.getSimpleName());
    } else {
      throw new IllegalStateException("no schema for config type " + c.getName());
    }
    return s;
  }

  /** The names a value may take: its enum's, the enum @Doc names, or @Doc oneOf; empty for free text. */
  static List<String> oneOf(Class<?> c, Doc d) {
    if (Names.isNames(c)) return Names.of(c);
    if (d != null && d.names() != ConfigName.class) return Names.of(d.names());
    return d == null ? List.of() : Arrays.asList(d.oneOf());
  }

  /** The default as YAML would read it: booleans and whole numbers typed, everything else text. */
  private static JsonNode defaultValue(Class<?> c, String dflt) {
    if (c == java.util.List.class && dflt.startsWith("[")) return Binder.listDefault(dflt);
    if (c == boolean.class || c == Boolean.class) return F.booleanNode(Boolean.parseBoolean(dflt));
    if ((c == int.class || c == Integer.class || c == long.class || c == Long.class || c == ByteSize.class)
        && dflt.matches("\\d{1,18}")) {
      return F.numberNode(Long.parseLong(dflt));
    }
    return F.textNode(dflt);
  }

  private static String formatHint(String unit) {
    return switch (unit) {
      case "" -> "";
      case "duration" -> "duration, e.g. 250ms, 5s, 1m, 1h";
      case "size" -> "size, e.g. 512, 16KiB, 10MiB, 1GiB";
      case "percent" -> "percent, e.g. 50%, 12.5%";
      case "rate" -> "rate, e.g. 10/s, 600/min, 10000/h";
      case "host:port" -> "host:port, e.g. 0.0.0.0:8080 or [::1]:9901";
      case "CIDR list" -> "list of CIDRs or addresses, e.g. 10.0.0.0/8, 192.168.1.7, ::1/128";
      default -> unit;
    };
  }

  // ---------------------------------------------------------------- Markdown

  /** docs/configuration.md. */
  public static String markdown() {
    List<Section> sections = sections();
    Map<Class<?>, Section> byType = sections.stream()
        .collect(Collectors.toMap(Section::type, Function.identity(), (a, b) -> a, LinkedHashMap::new));
    StringBuilder md = new StringBuilder();
    md.append("""
        # Configuration reference

        <!-- Generated by bulwark.config.ConfigDocs from the @Doc annotations of the records in bulwark.config.
             Do not edit by hand: change the records, then run `make docs`. -->

        Bulwark reads one YAML file (`bulwark run --config FILE`; `bulwark validate --config FILE` only checks it).
        The file is read strictly, and every mistake is reported at once, each with the path of its field:

        - an unknown key is an error, with a suggestion when a known key is close (`balancr` → `balancer`);
        - a value in the wrong format is an error (`5 seconds`, `10MB`, `abc` for a number, `yes` for a boolean);
        - a key written twice in one mapping is an error;
        - names are checked across the file: the upstream and middlewares a route names must exist, route names
          are unique across `routes` and `groups`, a `rewrite` may only use placeholders of its `match.path`;
        - a section of a capability this build does not have yet is an error naming the field
          (marked *not supported yet* below): remove it until the capability arrives.

        The JSON Schema [bulwark.schema.json](bulwark.schema.json) describes the same file for editors,
        e.g. with a first line `# yaml-language-server: $schema=docs/bulwark.schema.json`.

        ## Value formats

        | Format | Written as | Examples | Not accepted |
        | --- | --- | --- | --- |
        | duration | a whole number and one unit: `ms`, `s`, `m` or `h` | `250ms`, `5s`, `1m`, `1h` | `5`, `5 seconds`, `1.5s`, `1m30s` |
        | size | a whole number of bytes, or with `B`, `KiB`, `MiB` or `GiB` (powers of 1024) | `512`, `16KiB`, `10MiB`, `1GiB` | `10MB`, `10M`, `1.5GiB` |
        | rate | a whole number above 0, `/s`, `/min` or `/h` | `10/s`, `600/min`, `10000/h` | `10/m`, `0/s`, `10 per second` |
        | percent | 0 to 100 with up to 4 decimals, then `%` | `50%`, `12.5%` | `0.5`, `150%` |
        | host:port | a host name or address and a port; an IPv6 address in brackets | `0.0.0.0:8080`, `[::1]:9901` | `8080`, `localhost` |
        | CIDR | an IPv4 or IPv6 network, or one address | `10.0.0.0/8`, `192.168.1.7`, `::1/128`, `::ffff:10.0.0.0/104` | `10.1/16`, `example.com` |
        | boolean | `true` or `false` | `true` | `yes`, `no`, `on`, `off` |
        | integer | decimal digits | `256`, `010` (ten) | `1e3`, `0x10`, `1_000` |

        ### Environment variables

        `${NAME}` in a value is replaced by the environment variable `NAME`; it is an error when `NAME` is not set.
        `${NAME:-default}` is replaced by `default` when `NAME` is unset or empty, as in the shell, and `${NAME:-}`
        by nothing. Substitution happens in values (not keys), after the YAML is parsed, so the substituted text is
        never read as YAML; the result is then checked like any other value, so `weight: ${WEIGHT:-3}` and
        `timeout: ${TIMEOUT:-5s}` work.

        ## Reference

        Each section is a YAML mapping. `routes[]` stands for an item of the list `routes`, `upstreams.<name>`
        for the value of any key of the mapping `upstreams`. A key written with no value is the same as a key
        left out. A field with no default is then absent (an empty list or mapping for lists and mappings),
        and a section whose keys are all optional takes the defaults of all its keys.

        """);
    for (Section s : sections) section(md, s, byType);
    md.append("## Example\n\n");
    md.append("A complete file: two upstreams, a header middleware, one route and one group.\n\n");
    md.append("```yaml\n").append(EXAMPLE).append("```\n\n");
    md.append("With a few mistakes in it, a file like this one:\n\n");
    md.append("```yaml\n").append(BROKEN_EXAMPLE).append("```\n\n");
    md.append("is rejected with every error, each with the path of its field:\n\n");
    md.append("```text\n");
    for (ConfigError e : errorsOf(BROKEN_EXAMPLE)) md.append(e).append('\n');
    md.append("```\n");
    return md.toString();
  }

  static List<ConfigError> errorsOf(String yaml) {
    try {
      new ConfigLoader(name -> null).parse(yaml);
    } catch (ConfigException e) {
      return e.errors();
    }
    throw new IllegalStateException("the broken example of configuration.md loads without errors");
  }

  private static void section(StringBuilder md, Section s, Map<Class<?>, Section> byType) {
    md.append("### ").append(heading(s)).append("\n\n");
    if (s.paths().size() > 1) {
      md.append("The same keys at each of these paths:\n\n");
      for (int i = 0; i < s.paths().size(); i++) {
        md.append("- `").append(s.paths().get(i)).append("`: ").append(s.descriptions().get(i)).append('\n');
      }
      md.append('\n');
    } else {
      md.append(s.description()).append("\n\n");
    }
    md.append("| Key | Type | Default | Required | Meaning |\n");
    md.append("| --- | --- | --- | --- | --- |\n");
    for (RecordComponent rc : s.type().getRecordComponents()) {
      Doc d = doc(rc);
      String meaning = d.later().isEmpty() ? d.value() : "*not supported yet (" + d.later() + ")*: " + d.value();
      md.append("| `").append(Binder.keyOf(rc)).append("` | ")
          .append(cell(d.later().isEmpty() ? typeText(rc.getGenericType(), d, childPath(s.path(), rc), byType) : "mapping"))
          .append(" | ")
          .append(d.dflt().isEmpty() ? "" : "`" + cell(d.dflt()) + "`").append(" | ")
          .append(d.required() ? "yes" : "").append(" | ")
          .append(cell(meaning)).append(" |\n");
    }
    md.append('\n');
  }

  private static String heading(Section s) {
    return s.path().isEmpty() ? "Top level" : "`" + s.path() + "`";
  }

  /** The GitHub anchor of a section heading. */
  static String anchor(Section s) {
    return heading(s).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
  }

  /** The type column: {@code path} is the YAML path of the value, used as the text of links to sections. */
  private static String typeText(Type t, Doc d, String path, Map<Class<?>, Section> byType) {
    if (t instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      if (raw == List.class) {
        return d != null && !d.unit().isEmpty() ? d.unit() : "list of " + plural(typeText(pt.getActualTypeArguments()[0], null, path, byType));
      }
      return "mapping of names to " + plural(typeText(pt.getActualTypeArguments()[1], null, path, byType));
    }
    Class<?> c = (Class<?>) t;
    if (isSection(c)) {
      return "[`" + path + "`](#" + anchor(byType.get(c)) + ")";
    }
    List<String> names = oneOf(c, d);
    if (!names.isEmpty()) {
      return "one of " + names.stream().map(v -> "`" + v + "`").collect(Collectors.joining(", "));
    }
    if (d != null && !d.unit().isEmpty()) return d.unit();
    if (c == String.class) return "string";
    if (c == boolean.class || c == Boolean.class) return "boolean";
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class) return "integer";
    if (c == Duration.class) return "duration";
    if (c == ByteSize.class) return "size";
    if (c == Percent.class) return "percent";
    if (c == Rate.class) return "rate";
    throw new IllegalStateException("no documented type for " + c.getName());
  }

  private static String plural(String type) {
    return type.startsWith("[") ? type : type + "s";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
