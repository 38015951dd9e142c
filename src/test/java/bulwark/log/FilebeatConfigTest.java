package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.RunningGateway;
import bulwark.it.TestSupport.Upstream;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/filebeat/filebeat.yml against real Bulwark log lines: an application log line written by
 * Logback as production configures it (LogSetup), and an access-log and an audit line written by a
 * running gateway.
 */
class FilebeatConfigTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The ECS keys every Bulwark line carries, and those of the application log. */
  static final List<String> COMMON =
      List.of("@timestamp", "ecs.version", "service.name", "event.dataset");

  static final List<String> APP =
      List.of(
          "log.level",
          "log.logger",
          "message",
          "process.thread.name",
          "error.type",
          "error.message",
          "error.stack_trace");

  /** Fields that Filebeat itself adds (or the config adds): not Bulwark's to provide. */
  static final Pattern BEATS_OWN =
      Pattern.compile(
          "(data_stream|agent|input|host|log\\.file|log\\.offset|ecs|cloud|container|kubernetes)(\\..*)?");

  @TempDir static Path dir;
  static JsonNode filebeat;

  /** Input id to one real line of the file it reads. */
  static final Map<String, JsonNode> lines = new LinkedHashMap<>();

  @BeforeAll
  static void realLines() throws Exception {
    filebeat = new YAMLMapper().readTree(Path.of("deploy/filebeat/filebeat.yml").toFile());
    lines.put("bulwark-app", appLine());
    Path access = dir.resolve("access.log");
    Path audit = dir.resolve("audit.jsonl");
    try (Upstream up = new Upstream("u");
        RunningGateway gw =
            RunningGateway.start(
                """
            server:
              listen: "127.0.0.1:${PORT}"
              shutdown: { gracePeriod: 1s }
            admin:
              listen: "127.0.0.1:${ADMIN_PORT}"
              token: "admin-token-0123456789abcdef0123456789"
            observability:
              accessLog: { enabled: true, output: "%s" }
              audit: { file: "%s" }
            upstreams:
              u: { targets: [ { url: %s } ] }
            routes:
              - { name: r, match: { path: /r/** }, upstream: u }
            """
                    .formatted(access, audit, up.url()))) {
      assertThat(TestSupport.get(gw.url("/r/x"), "User-Agent", "filebeat-test").statusCode())
          .isEqualTo(200);
      assertThat(TestSupport.get(gw.adminUrl("/routes")).statusCode()).isEqualTo(401);
      lines.put("bulwark-access", firstLine(access));
      lines.put("bulwark-audit", firstLine(audit));
    }
  }

  /**
   * One application log line, written through the production configuration (LogSetup,
   * BULWARK_LOG_FILE set) with an exception.
   */
  private static JsonNode appLine() throws Exception {
    Path file = dir.resolve("app.log");
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    ctx.putProperty("BULWARK_LOG_FILE", file.toString());
    LogSetup.apply(ctx);
    ctx.getLogger("bulwark.server.Gateway")
        .error(
            "upstream call failed, Authorization: Bearer abcdefghijklmnop",
            new IllegalStateException("boom"));
    ctx.stop();
    assertThat(Files.size(file))
        .as("logback status: %s", ctx.getStatusManager().getCopyOfStatusList())
        .isPositive();
    return JSON.readTree(Files.readAllLines(file).get(0));
  }

  private static JsonNode firstLine(Path file) {
    String line =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    Files.exists(file)
                        ? Files.readAllLines(file).stream()
                            .filter(l -> !l.isBlank())
                            .findFirst()
                            .orElse(null)
                        : null,
                l -> l != null);
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + line, e);
    }
  }

  @Test
  void theRealLinesCarryTheEcsKeysAsDottedRootKeys() {
    JsonNode app = lines.get("bulwark-app");
    for (String k : COMMON) assertThat(app.has(k)).as("app line has %s: %s", k, app).isTrue();
    for (String k : APP) assertThat(app.has(k)).as("app line has %s: %s", k, app).isTrue();
    assertThat(app.get("event.dataset").asText()).isEqualTo("bulwark.app");
    assertThat(app.get("service.name").asText()).isEqualTo("bulwark");
    assertThat(app.get("log.level").asText()).isEqualTo("ERROR");
    assertThat(app.get("log.logger").asText()).isEqualTo("bulwark.server.Gateway");
    assertThat(app.get("error.type").asText()).isEqualTo("java.lang.IllegalStateException");
    assertThat(app.get("error.message").asText()).isEqualTo("boom");
    assertThat(app.get("error.stack_trace").asText()).contains("FilebeatConfigTest");
    assertThat(app.get("@timestamp").asText()).endsWith("Z");
    assertThat(app.get("message").asText())
        .as("credentials masked")
        .contains(Redact.MASK)
        .doesNotContain("abcdefghijklmnop");
    JsonNode access = lines.get("bulwark-access");
    for (String k : COMMON)
      assertThat(access.has(k)).as("access line has %s: %s", k, access).isTrue();
    assertThat(access.get("event.dataset").asText()).isEqualTo("bulwark.access");
    assertThat(access.get("ecs.version").asText()).isEqualTo(app.get("ecs.version").asText());
    assertThat(access.get("user_agent.original").asText()).isEqualTo("filebeat-test");
    JsonNode audit = lines.get("bulwark-audit");
    for (String k : COMMON) assertThat(audit.has(k)).as("audit line has %s: %s", k, audit).isTrue();
    assertThat(audit.get("event.dataset").asText()).isEqualTo("bulwark.audit");
    // nothing is nested: every key is at the root, dotted (so that expand_keys builds the objects)
    for (JsonNode line : lines.values()) {
      line.fields()
          .forEachRemaining(
              e ->
                  assertThat(e.getValue().isObject())
                      .as("%s is a dotted root key", e.getKey())
                      .isFalse());
    }
  }

  @Test
  void everyInputParsesNdjsonToTheRootAndNamesTheDatasetOfItsLines() {
    JsonNode inputs = filebeat.get("filebeat.inputs");
    assertThat(inputs).isNotNull();
    Set<String> ids = new java.util.HashSet<>();
    for (JsonNode in : inputs) {
      String id = in.get("id").asText();
      ids.add(id);
      assertThat(in.get("type").asText()).isEqualTo("filestream");
      JsonNode nd = null;
      for (JsonNode p : in.get("parsers")) if (p.has("ndjson")) nd = p.get("ndjson");
      assertThat(nd).as("%s has an ndjson parser", id).isNotNull();
      assertThat(nd.get("target").asText()).as("keys at the root").isEmpty();
      assertThat(nd.get("overwrite_keys").asBoolean()).isTrue();
      assertThat(nd.get("add_error_key").asBoolean()).isTrue();
      assertThat(nd.get("expand_keys").asBoolean()).isTrue();
      JsonNode line = lines.get(id);
      assertThat(line).as("a real line for input %s", id).isNotNull();
      String dataset = null;
      for (JsonNode p : in.path("processors")) {
        JsonNode af = p.get("add_fields");
        if (af != null && "data_stream".equals(af.path("target").asText()))
          dataset = af.path("fields").path("dataset").asText();
      }
      assertThat(dataset)
          .as("%s: the data stream dataset is its lines' event.dataset", id)
          .isEqualTo(line.get("event.dataset").asText());
    }
    assertThat(ids).containsExactlyInAnyOrderElementsOf(lines.keySet());
    String index = filebeat.get("output.elasticsearch").get("index").asText();
    assertThat(index)
        .isEqualTo("%{[data_stream.type]}-%{[data_stream.dataset]}-%{[data_stream.namespace]}");
    assertThat(filebeat.get("output.elasticsearch").get("hosts").get(0).asText())
        .startsWith("${ELASTICSEARCH_HOSTS");
  }

  @Test
  void everyFieldTheConfigReferencesIsInARealLineAndNoProcessorRenamesOrDropsBulwarkFields() {
    List<String> refs = new ArrayList<>();
    references(filebeat, null, refs);
    assertThat(refs).as("the index names data_stream fields").contains("data_stream.dataset");
    for (String r : refs) {
      if (BEATS_OWN.matcher(r).matches()) continue;
      assertThat(lines.values().stream().anyMatch(l -> l.has(r)))
          .as("field %s, referenced by filebeat.yml, is in a real Bulwark line", r)
          .isTrue();
    }
    List<String> processors = new ArrayList<>();
    processorNames(filebeat, processors);
    assertThat(processors)
        .as("processors of filebeat.yml")
        .isNotEmpty()
        .doesNotContain(
            "rename",
            "copy_fields",
            "move_fields",
            "drop_fields",
            "include_fields",
            "convert",
            "truncate_fields",
            "replace",
            "script",
            "decode_json_fields",
            "timestamp");
  }

  private static final Pattern FORMAT_REF = Pattern.compile("%\\{\\[([^\\]]+)]}");

  /** Keys whose values name event fields, in processors, conditions and parsers. */
  private static final Set<String> FIELD_KEYS =
      Set.of(
          "field",
          "fields",
          "from",
          "to",
          "message_key",
          "document_id",
          "ignore_missing_field",
          "has_fields");

  private static final Set<String> CONDITIONS =
      Set.of("equals", "contains", "regexp", "range", "network");

  /**
   * Collects the field names {@code node} refers to: format strings, field options, condition keys.
   */
  private static void references(JsonNode node, String key, List<String> out) {
    if (node.isTextual()) {
      Matcher m = FORMAT_REF.matcher(node.asText());
      while (m.find()) out.add(m.group(1));
      if (key != null && FIELD_KEYS.contains(key)) out.add(node.asText());
      return;
    }
    if (node.isArray()) {
      for (JsonNode n : node) references(n, key, out);
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (CONDITIONS.contains(e.getKey()) && e.getValue().isObject())
        e.getValue().fieldNames().forEachRemaining(out::add);
      // add_fields' fields are values the config sets, not references
      if (e.getKey().equals("fields") && e.getValue().isObject()) continue;
      references(e.getValue(), e.getKey(), out);
    }
  }

  private static void processorNames(JsonNode node, List<String> out) {
    if (node.isArray()) {
      node.forEach(n -> processorNames(n, out));
    } else if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e -> {
                if (e.getKey().equals("processors") && e.getValue().isArray()) {
                  e.getValue().forEach(p -> p.fieldNames().forEachRemaining(out::add));
                }
                processorNames(e.getValue(), out);
              });
    }
  }
}
