package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * docs/bulwark.schema.json and docs/configuration.md are generated from the records: the committed
 * files must be what the generator writes now, and they must describe every record field and
 * nothing else. The records are walked here again, independently of ConfigDocs.
 */
class ConfigDocsTest {
  private static final Path DOCS = Path.of("docs");
  private static final Set<Class<?>> SCALAR_RECORDS =
      Set.of(
          ByteSize.class,
          Percent.class,
          Rate.class,
          RateLimitKeySpec.class,
          GrpcMethod.class,
          RetryOn.class,
          StickyOn.class);

  // ------------------------------------------------------------------ the committed files

  @Test
  void theCommittedDocsAreWhatTheGeneratorWritesNow(@TempDir Path tmp) throws Exception {
    ConfigDocs.main(new String[] {tmp.toString()});

    for (String name : List.of(ConfigDocs.SCHEMA_FILE, ConfigDocs.MARKDOWN_FILE)) {
      Path committed = DOCS.resolve(name);
      String why =
          "docs/"
              + name
              + " is out of date with the config records: run `make docs` and commit the result";
      assertThat(committed).as(why).isRegularFile();
      assertThat(Files.readString(tmp.resolve(name), StandardCharsets.UTF_8))
          .as(why)
          .isEqualTo(Files.readString(committed, StandardCharsets.UTF_8));
      assertThat(Files.mismatch(tmp.resolve(name), committed)).as(why).isEqualTo(-1L);
    }
  }

  @Test
  void generationIsDeterministic() {
    assertThat(ConfigDocs.schema())
        .isEqualTo(ConfigDocs.schema())
        .doesNotContain("\r")
        .endsWith("}\n");
    assertThat(ConfigDocs.markdown()).isEqualTo(ConfigDocs.markdown()).doesNotContain("\r");
  }

  // ------------------------------------------------------------------ schema vs records

  @Test
  void everyRecordIsADefinitionWithExactlyItsComponentsUnderTheirYamlKeys() throws Exception {
    JsonNode schema = schema();
    assertThat(schema.path("$schema").asText())
        .isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(schema.path("$ref").asText()).isEqualTo("#/$defs/BulwarkConfig");

    Set<Class<?>> records = records();
    assertThat(fieldNames(schema.path("$defs")))
        .containsExactlyInAnyOrderElementsOf(records.stream().map(Class::getSimpleName).toList());
    for (Class<?> r : records) {
      JsonNode def = schema.path("$defs").path(r.getSimpleName());
      assertThat(def.path("type").asText()).as(r.getSimpleName()).isEqualTo("object");
      assertThat(def.path("description").asText()).as(r.getSimpleName()).isNotBlank();
      assertThat(
              def.path("additionalProperties").isBoolean()
                  && !def.path("additionalProperties").booleanValue())
          .as("%s has additionalProperties: false", r.getSimpleName())
          .isTrue();
      List<String> keys =
          Arrays.stream(r.getRecordComponents()).map(ConfigDocsTest::yamlKey).toList();
      assertThat(fieldNames(def.path("properties")))
          .as(r.getSimpleName())
          .containsExactlyElementsOf(keys);
      List<String> required =
          Arrays.stream(r.getRecordComponents())
              .filter(rc -> rc.getAnnotation(Doc.class).required())
              .map(ConfigDocsTest::yamlKey)
              .toList();
      assertThat(def.has("required") ? elements(def.get("required")) : List.of())
          .as(r.getSimpleName() + " required")
          .containsExactlyElementsOf(required);
      for (RecordComponent rc : r.getRecordComponents()) {
        checkProperty(rc, def.path("properties").path(yamlKey(rc)));
      }
    }
  }

  private static void checkProperty(RecordComponent rc, JsonNode p) {
    Doc d = rc.getAnnotation(Doc.class);
    String what = rc.getDeclaringRecord().getSimpleName() + "." + rc.getName();
    assertThat(d).as(what + " has @Doc").isNotNull();
    if (!d.later().isEmpty()) {
      assertThat(p.path("description").asText())
          .as(what)
          .contains(d.value())
          .contains("Not supported yet (arrives with the " + d.later() + " capability)");
      assertThat(p.has("type") || p.has("$ref")).as(what + " is not described as usable").isFalse();
      return;
    }
    assertThat(p.path("description").asText()).as(what).startsWith(d.value());
    if (!d.dflt().isEmpty()) {
      if (d.dflt().startsWith("["))
        assertThat(p.path("default")).as(what + " default").isEqualTo(Binder.listDefault(d.dflt()));
      else assertThat(p.path("default").asText()).as(what + " default").isEqualTo(d.dflt());
    } else {
      assertThat(p.has("default")).as(what + " has no default").isFalse();
    }
    checkType(rc.getGenericType(), d, p, what);
  }

  private static void checkType(Type t, Doc d, JsonNode p, String what) {
    if (t instanceof ParameterizedType pt) {
      if (pt.getRawType() == List.class) {
        assertThat(p.path("type").asText()).as(what).isEqualTo("array");
        if (d != null && d.unit().equals(ConfigDocs.STRINGS_OR_STATUSES)) {
          assertThat(elements(p.path("items").path("type")))
              .as(what)
              .containsExactly("string", "integer");
          return;
        }
        checkType(pt.getActualTypeArguments()[0], null, p.path("items"), what + "[]");
      } else {
        assertThat(pt.getRawType()).isEqualTo(Map.class);
        assertThat(p.path("type").asText()).as(what).isEqualTo("object");
        checkType(
            pt.getActualTypeArguments()[1], null, p.path("additionalProperties"), what + ".*");
      }
      return;
    }
    Class<?> c = (Class<?>) t;
    if (c == String.class
        || c == RateLimitKeySpec.class
        || c == StickyOn.class
        || c == GrpcMethod.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("string");
      List<String> oneOf = d == null ? List.of() : List.of(d.oneOf());
      assertThat(p.has("enum") ? elements(p.get("enum")) : List.of())
          .as(what + " enum")
          .containsExactlyElementsOf(oneOf);
    } else if (c.isEnum()) {
      assertThat(ConfigName.class).as(what + " is written as a name").isAssignableFrom(c);
      assertThat(p.path("type").asText()).as(what).isEqualTo("string");
      assertThat(elements(p.get("enum")))
          .as(what + " enum")
          .containsExactlyElementsOf(configNames(c));
    } else if (c == boolean.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("boolean");
    } else if (c == int.class || c == long.class || c == Integer.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("integer");
    } else if (c == Percent.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("string");
      Pattern pct = Pattern.compile(p.path("pattern").asText());
      assertThat(Stream.of("50%", "12.5%", "100%")).allMatch(s -> pct.matcher(s).find());
      assertThat(Stream.of("50", "0.5", "50 %")).noneMatch(s -> pct.matcher(s).find());
    } else if (c == Rate.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("string");
      Pattern rate = Pattern.compile(p.path("pattern").asText());
      assertThat(Stream.of("10/s", "600/min", "10000/h")).allMatch(s -> rate.matcher(s).find());
      assertThat(Stream.of("10", "10/sec", "1.5/s")).noneMatch(s -> rate.matcher(s).find());
    } else if (c == Duration.class) {
      assertThat(p.path("type").asText()).as(what).isEqualTo("string");
      assertThat(p.path("pattern").asText()).as(what).isEqualTo("^\\d+(ms|s|m|h)$");
    } else if (c == ByteSize.class) {
      assertThat(elements(p.path("type"))).as(what).containsExactlyInAnyOrder("integer", "string");
      Pattern size = Pattern.compile(p.path("pattern").asText());
      assertThat(Stream.of("512", "512B", "16KiB", "10MiB", "1GiB"))
          .allMatch(s -> size.matcher(s).find());
      assertThat(Stream.of("10MB", "10M", "1.5GiB", "16 KiB"))
          .noneMatch(s -> size.matcher(s).find());
    } else if (c.isRecord()) {
      assertThat(p.path("$ref").asText()).as(what).isEqualTo("#/$defs/" + c.getSimpleName());
    } else {
      throw new AssertionError(what + ": no check for " + c);
    }
  }

  private static List<String> configNames(Class<?> e) {
    return Arrays.stream(e.getEnumConstants()).map(x -> ((ConfigName) x).configName()).toList();
  }

  @Test
  void noSchemaPropertyExistsOutsideTheRecordDefinitions() throws Exception {
    List<String> propertiesAt = new ArrayList<>();
    collectProperties(schema(), "", propertiesAt);
    assertThat(propertiesAt)
        .isNotEmpty()
        .allSatisfy(at -> assertThat(at).matches("/\\$defs/[A-Za-z]+/properties"))
        .hasSize(records().size());
  }

  private static void collectProperties(JsonNode n, String pointer, List<String> out) {
    if (n.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = pointer + "/" + e.getKey();
        if (e.getKey().equals("properties") && !pointer.endsWith("/properties")) out.add(p);
        collectProperties(e.getValue(), p, out);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) collectProperties(n.get(i), pointer + "/" + i, out);
    }
  }

  @Test
  void theSchemaUsesOnlyKeywordsThisTestValidates() throws Exception {
    Set<String> used = new LinkedHashSet<>();
    keywords(schema(), used);
    assertThat(used)
        .isSubsetOf(
            "$schema",
            "title",
            "description",
            "$ref",
            "$defs",
            "type",
            "properties",
            "required",
            "additionalProperties",
            "items",
            "enum",
            "pattern",
            "minimum",
            "minProperties",
            "maxProperties",
            "default");
  }

  private static void keywords(JsonNode schema, Set<String> out) {
    for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.add(e.getKey());
      switch (e.getKey()) {
        case "$defs", "properties" -> e.getValue().forEach(s -> keywords(s, out));
        case "items" -> keywords(e.getValue(), out);
        case "additionalProperties" -> {
          if (e.getValue().isObject()) keywords(e.getValue(), out);
        }
        default -> {}
      }
    }
  }

  // ------------------------------------------------------------------ schema vs loader

  @Test
  void theContractAndTheExampleAreValidAgainstTheSchema() throws Exception {
    assertThat(validate(new YAMLMapper().readTree(ContractTest.contract()))).isEmpty();
    assertThat(validate(new YAMLMapper().readTree(ConfigDocs.EXAMPLE))).isEmpty();
  }

  static Stream<Arguments> mistakes() {
    String users = ConfigTesting.USERS;
    return Stream.of(
        Arguments.of(users + "    balancr: round_robin\n", "upstreams.users.balancr"),
        Arguments.of(users + "    balancer: fastest\n", "upstreams.users.balancer"),
        Arguments.of(
            users + "    maxConnectionsPerTarget: many\n",
            "upstreams.users.maxConnectionsPerTarget"),
        Arguments.of(
            "server:\n  limits:\n    idleTimeout: 5 seconds\n", "server.limits.idleTimeout"),
        Arguments.of("server:\n  limits:\n    maxBodyBytes: 10MB\n", "server.limits.maxBodyBytes"),
        Arguments.of("server:\n  trustedProxies: 10.0.0.0/8\n", "server.trustedProxies"),
        Arguments.of("middlewares:\n  nothing: {}\n", "middlewares.nothing"),
        Arguments.of(
            users + "routes:\n  - { name: a, match: { path: /a }, upstream: users, failover: 3 }\n",
            "routes[0].failover"),
        Arguments.of(
            users + "groups:\n  - routes: [ { name: a, match: { path: /a }, upstream: users } ]\n",
            "groups[0].prefix"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("mistakes")
  void theSchemaAndTheLoaderRejectTheSameMistakeAtTheSamePath(String yaml, String path)
      throws Exception {
    assertThat(validate(new YAMLMapper().readTree(yaml)))
        .as("schema errors")
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e).startsWith(path + ":"));
    assertThat(ConfigTesting.errors(yaml))
        .as("loader errors")
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e).startsWith(path + ":"));
  }

  /**
   * The errors of {@code value} against docs/bulwark.schema.json, for the keywords the generator
   * uses.
   */
  static List<String> validate(JsonNode value) throws Exception {
    JsonNode root = schema();
    List<String> out = new ArrayList<>();
    validate(root, value, "", root, out);
    return out;
  }

  private static void validate(
      JsonNode schema, JsonNode v, String path, JsonNode root, List<String> out) {
    if (schema.has("$ref")) {
      String ref = schema.get("$ref").asText();
      assertThat(ref).startsWith("#/$defs/");
      JsonNode target = root.at(ref.substring(1));
      assertThat(target.isMissingNode()).as("%s resolves", ref).isFalse();
      validate(target, v, path, root, out);
    }
    if (schema.has("type")) {
      List<String> types =
          schema.get("type").isArray()
              ? elements(schema.get("type"))
              : List.of(schema.get("type").asText());
      if (types.stream().noneMatch(t -> isOfType(v, t))) {
        out.add(path + ": expected " + types + ", got " + v.getNodeType());
        return;
      }
    }
    if (schema.has("enum") && !elements(schema.get("enum")).contains(v.asText()))
      out.add(path + ": not one of " + schema.get("enum"));
    if (schema.has("pattern")
        && v.isTextual()
        && !Pattern.compile(schema.get("pattern").asText()).matcher(v.asText()).find()) {
      out.add(path + ": '" + v.asText() + "' does not match " + schema.get("pattern").asText());
    }
    if (schema.has("minimum") && v.isNumber() && v.asDouble() < schema.get("minimum").asDouble())
      out.add(path + ": below minimum");
    if (v.isObject()) {
      if (schema.has("minProperties") && v.size() < schema.get("minProperties").asInt())
        out.add(path + ": too few keys");
      if (schema.has("maxProperties") && v.size() > schema.get("maxProperties").asInt())
        out.add(path + ": too many keys");
      JsonNode props = schema.path("properties");
      JsonNode extra = schema.get("additionalProperties");
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        if (props.has(e.getKey())) {
          validate(props.get(e.getKey()), e.getValue(), p, root, out);
        } else if (extra != null && extra.isBoolean() && !extra.booleanValue()) {
          out.add(p + ": not allowed");
        } else if (extra != null && extra.isObject()) {
          validate(extra, e.getValue(), p, root, out);
        }
      }
      if (schema.has("required")) {
        for (String k : elements(schema.get("required"))) {
          if (!v.has(k)) out.add((path.isEmpty() ? k : path + "." + k) + ": required");
        }
      }
    }
    if (v.isArray() && schema.has("items")) {
      for (int i = 0; i < v.size(); i++)
        validate(schema.get("items"), v.get(i), path + "[" + i + "]", root, out);
    }
  }

  private static boolean isOfType(JsonNode v, String type) {
    return switch (type) {
      case "string" -> v.isTextual();
      case "integer" -> v.isIntegralNumber();
      case "boolean" -> v.isBoolean();
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      default -> throw new AssertionError("type " + type);
    };
  }

  // ------------------------------------------------------------------ markdown vs records

  @Test
  void theReferenceHasOneTablePerRecordWithEveryKeyDefaultAndLaterMark() {
    String md = ConfigDocs.markdown();
    List<List<String>> tables = new ArrayList<>();
    Map<String, List<String>> rowsByKey = new java.util.HashMap<>();
    List<String> current = null;
    for (String line : md.split("\n")) {
      if (line.startsWith("| Key |")) {
        current = new ArrayList<>();
        tables.add(current);
      } else if (current != null && line.startsWith("| `")) {
        List<String> cells = cells(line);
        String key = cells.get(0).replace("`", "");
        current.add(key);
        rowsByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
      } else if (!line.startsWith("| ---")) {
        current = null;
      }
    }
    List<List<String>> expected =
        records().stream()
            .map(r -> Arrays.stream(r.getRecordComponents()).map(ConfigDocsTest::yamlKey).toList())
            .toList();
    assertThat(tables).containsExactlyInAnyOrderElementsOf(expected);

    for (Class<?> r : records()) {
      for (RecordComponent rc : r.getRecordComponents()) {
        Doc d = rc.getAnnotation(Doc.class);
        // some keys (e.g. headers, middlewares) name fields of several records: one of the rows is
        // this one
        assertThat(rowsByKey.get(yamlKey(rc)))
            .as(r.getSimpleName() + "." + rc.getName())
            .anySatisfy(
                row -> {
                  List<String> cells = cells(row);
                  assertThat(cells.get(2))
                      .isEqualTo(d.dflt().isEmpty() ? "" : "`" + d.dflt() + "`");
                  assertThat(cells.get(3)).isEqualTo(d.required() ? "yes" : "");
                  assertThat(cells.get(4)).contains(d.value().replace("|", "\\|"));
                  if (!d.later().isEmpty())
                    assertThat(cells.get(4)).contains("not supported yet (" + d.later() + ")");
                  else assertThat(cells.get(4)).doesNotContain("not supported yet");
                });
      }
    }
  }

  @Test
  void theReferenceExplainsTheValueFormats() {
    String md = ConfigDocs.markdown();
    assertThat(md)
        .contains(
            "`250ms`, `5s`, `1m`, `1h`",
            "`512`, `16KiB`, `10MiB`, `1GiB`",
            "`10/s`, `600/min`, `10000/h`",
            "`50%`",
            "`${NAME}`",
            "`${NAME:-default}`",
            "make docs");
  }

  @Test
  void theWorkedExampleIsShownAndLoads() throws Exception {
    String md = ConfigDocs.markdown();
    assertThat(md).contains("```yaml\n" + ConfigDocs.EXAMPLE + "```");
    BulwarkConfig cfg = ConfigTesting.load(ConfigDocs.EXAMPLE);
    assertThat(cfg.upstreams()).containsOnlyKeys("users", "orders");
    assertThat(FlatRoute.flatten(cfg))
        .extracting(FlatRoute::pattern)
        .containsExactly("/profiles/{id}", "/api/v1/orders/**");
  }

  @Test
  void theErrorExampleShowsWhatTheLoaderReportsForIt() {
    String md = ConfigDocs.markdown();
    List<String> errors = ConfigTesting.errors(ConfigDocs.BROKEN_EXAMPLE);
    assertThat(errors).hasSizeGreaterThanOrEqualTo(3);
    assertThat(md)
        .contains("```yaml\n" + ConfigDocs.BROKEN_EXAMPLE + "```")
        .contains("```text\n" + String.join("\n", errors) + "\n```");
  }

  // ------------------------------------------------------------------ helpers

  private static JsonNode schema() throws Exception {
    return new ObjectMapper().readTree(ConfigDocs.schema());
  }

  /** Every record reachable from BulwarkConfig through component types, bound as a YAML mapping. */
  static Set<Class<?>> records() {
    Set<Class<?>> out = new LinkedHashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>(List.of(BulwarkConfig.class));
    while (!todo.isEmpty()) {
      Class<?> c = todo.pop();
      if (!out.add(c)) continue;
      for (RecordComponent rc : c.getRecordComponents()) {
        for (Class<?> t : classesIn(rc.getGenericType())) {
          if (t.isRecord() && !SCALAR_RECORDS.contains(t)) todo.add(t);
        }
      }
    }
    return out;
  }

  private static List<Class<?>> classesIn(Type t) {
    if (t instanceof Class<?> c) return List.of(c);
    List<Class<?>> out = new ArrayList<>();
    for (Type a : ((ParameterizedType) t).getActualTypeArguments()) out.addAll(classesIn(a));
    return out;
  }

  private static String yamlKey(RecordComponent rc) {
    Doc d = rc.getAnnotation(Doc.class);
    return d != null && !d.key().isEmpty() ? d.key() : rc.getName();
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static List<String> elements(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.forEach(e -> out.add(e.asText()));
    return out;
  }

  /** The cells of a Markdown table row, split on unescaped pipes. */
  private static List<String> cells(String row) {
    List<String> out = new ArrayList<>();
    // possessive runs: a per-character alternation recursed once per character and overflowed the
    // stack on a long cell (a long @Doc text)
    Matcher m = Pattern.compile("\\|((?:[^|\\\\]++|\\\\.)*+)(?=\\|)").matcher(row);
    while (m.find()) out.add(m.group(1).trim());
    return out;
  }
}
