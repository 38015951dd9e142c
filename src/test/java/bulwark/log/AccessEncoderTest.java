package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AccessEncoderTest {
  private static LoggingEvent event(AccessLog.AccessMarker m, long millis) {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e =
        new LoggingEvent("x", ctx.getLogger(AccessLog.LOGGER), Level.INFO, "", null, null);
    e.addMarker(m);
    e.setTimeStamp(millis);
    return e;
  }

  @Test
  void everyValueSurvivesJsonEscapingAndTheLineIsOneJsonObject() throws Exception {
    String path = "/q\"uote\\back\nline\ttab\u0001ctl\u007f/é/日本/\uD83D\uDE00";
    var m =
        new AccessLog.AccessMarker(
            "GET", path, 200, 1234, "10.0.0.1", "curl/8 \"x\"", "rid-1", "r", "127.0.0.1:8081", 99);
    m.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.spanId = "00f067aa0ba902b7";
    byte[] out = new AccessEncoder().encode(event(m, 1_764_015_185_007L));
    String line = new String(out, StandardCharsets.UTF_8);
    assertThat(line).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
    JsonNode j = new ObjectMapper().readTree(line);
    assertThat(j.get("@timestamp").asText()).isEqualTo("2025-11-24T20:13:05.007Z");
    assertThat(j.get("url.path").asText()).isEqualTo(path);
    assertThat(j.get("user_agent.original").asText()).isEqualTo("curl/8 \"x\"");
    assertThat(j.get("http.response.status_code").asInt()).isEqualTo(200);
    assertThat(j.get("event.duration").asLong()).isEqualTo(1234);
    assertThat(j.get("bulwark.upstream.duration").asLong()).isEqualTo(99);
    assertThat(j.get("trace.id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(j.get("span.id").asText()).isEqualTo("00f067aa0ba902b7");
    assertThat(j.has("bulwark.upstream.error")).as("no upstream error: no field").isFalse();
    assertThat(j.get("ecs.version").asText()).isEqualTo(EcsEncoder.ECS_VERSION);
    assertThat(j.get("event.dataset").asText()).isEqualTo("bulwark.access");
  }

  @Test
  void aGeneratedRequestIdIsWrittenAsIsAndTheLineStaysOneJsonObject() throws Exception {
    String id = bulwark.proxy.RequestIds.next();
    var m = new AccessLog.AccessMarker("GET", "/a", 200, 1, "10.0.0.1", null, id, null, null, -1);
    m.requestIdFromClient = false;
    m.traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    m.spanId = "00f067aa0ba902b7";
    String line = new String(new AccessEncoder().encode(event(m, 0)), StandardCharsets.UTF_8);
    JsonNode j = new ObjectMapper().readTree(line);
    assertThat(j.get("http.request.id").asText()).isEqualTo(id).hasSize(32);
    assertThat(j.get("trace.id").asText()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(j.get("span.id").asText()).isEqualTo("00f067aa0ba902b7");
    assertThat(line).hasLineCount(1).endsWith("\"}\n");
  }

  @Test
  void howTheUpstreamFailedIsItsOwnField() throws Exception {
    var m =
        new AccessLog.AccessMarker(
            "GET", "/a", 200, 1, "10.0.0.1", null, "rid", "r", "127.0.0.1:8081", 5);
    m.upstreamError = bulwark.upstream.target.Outcome.BODY_RESET.label;
    JsonNode j =
        new ObjectMapper()
            .readTree(new String(new AccessEncoder().encode(event(m, 0)), StandardCharsets.UTF_8));
    assertThat(j.get("bulwark.upstream.error").asText()).isEqualTo("body_reset");
    assertThat(j.get("http.response.status_code").asInt()).isEqualTo(200);
  }

  @Test
  void theServingUpstreamIsNamedAndAbsentWhenNoneServed() throws Exception {
    AccessEncoder enc = new AccessEncoder();
    ObjectMapper json = new ObjectMapper();
    var canary =
        new AccessLog.AccessMarker("GET", "/a", 200, 1, "10.0.0.1", null, "r1", "r", "t1:80", 5);
    canary.upstream = "v2";
    var stable =
        new AccessLog.AccessMarker("GET", "/a", 200, 1, "10.0.0.1", null, "r2", "r", "t2:80", 5);
    stable.upstream = "v1";
    var none =
        new AccessLog.AccessMarker("GET", "/a", 404, 1, "10.0.0.1", null, "r3", null, null, -1);
    for (int i = 0; i < 3; i++) { // the cached encoding of one name never leaks into the other
      JsonNode a = json.readTree(new String(enc.encode(event(canary, 0)), StandardCharsets.UTF_8));
      JsonNode b = json.readTree(new String(enc.encode(event(stable, 0)), StandardCharsets.UTF_8));
      JsonNode c = json.readTree(new String(enc.encode(event(none, 0)), StandardCharsets.UTF_8));
      assertThat(a.get("bulwark.upstream.name").asText()).isEqualTo("v2");
      assertThat(a.get("bulwark.upstream.target").asText()).isEqualTo("t1:80");
      assertThat(b.get("bulwark.upstream.name").asText()).isEqualTo("v1");
      assertThat(c.has("bulwark.upstream.name")).as("no upstream: no field").isFalse();
    }
  }

  @Test
  void aCredentialInAClientChosenFieldIsMasked() throws Exception {
    String jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    var m =
        new AccessLog.AccessMarker(
            "GET", "/t/" + jwt, 200, 1, "10.0.0.1", "agent token=" + jwt, "rid", null, null, -1);
    String line = new String(new AccessEncoder().encode(event(m, 0)), StandardCharsets.UTF_8);
    assertThat(line).doesNotContain(jwt).contains(Redact.MASK);
    assertThat(new ObjectMapper().readTree(line).has("bulwark.upstream.duration")).isFalse();
  }

  @Test
  void everyValueAndNumberReadsBackFromTheBytesAsWritten() throws Exception {
    // random values over the whole char range (controls, quotes, Latin-1, CJK, surrogate pairs and
    // lone surrogates): a JSON parser reads back exactly the value written (a lone surrogate, not
    // valid UTF-8, as '?'), and every number
    var rnd = new java.util.Random(42);
    char[] pool = {
      'a', 'Z', '0', ' ', '"', '\\', '\n', '\r', '\t', '\u0001', '\u001f', '\u007f', '\u00e9',
      '\u07ff', '\u0800', '\u65e5', '\uffff', '\uD83D', '\uDE00'
    };
    var name = new AccessEncoder.Name("v");
    var num = new AccessEncoder.Name("n");
    ObjectMapper json = new ObjectMapper();
    for (int round = 0; round < 2000; round++) {
      StringBuilder v = new StringBuilder();
      int n = rnd.nextInt(40);
      for (int i = 0; i < n; i++)
        v.append(rnd.nextBoolean() ? pool[rnd.nextInt(pool.length)] : (char) rnd.nextInt(0x10000));
      long number = rnd.nextLong() >> rnd.nextInt(64);
      var line = new AccessEncoder.Line();
      line.buf[line.len++] = '{';
      line.buf[line.len++] = '"';
      line.buf[line.len++] = 'x';
      line.buf[line.len++] = '"';
      line.buf[line.len++] = ':';
      line.buf[line.len++] = '0';
      line.field(name, v.toString());
      line.field(num, number);
      line.raw(new byte[] {'}'});
      JsonNode j = json.readTree(new String(line.buf, 0, line.len, StandardCharsets.UTF_8));
      String expected =
          new String(v.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
      assertThat(j.get("v").asText()).as("value %s", v).isEqualTo(expected);
      assertThat(j.get("n").asLong()).isEqualTo(number);
    }
  }

  @Test
  void aCachedFieldReadsBackAsTheValueOfItsOwnLineWhetherItRepeatsOrChanges() throws Exception {
    // route, target, method and client address are cached by field name: a value that repeats
    // (the same object, or an equal one) is copied from the cache, one that changes is encoded
    // again; every line must still carry its own value, escaped, at any position in the buffer
    var rnd = new java.util.Random(7);
    java.util.List<String> pool =
        new java.util.ArrayList<>(
            java.util.List.of(
                "api",
                "api",
                new String("api"),
                "orders \"v2\"",
                "\u65e5\u672c",
                "",
                "10.0.0.1",
                "r\nx",
                "api"));
    for (int i = 0; i < 40; i++)
      pool.add("route-" + i); // more values than slots: they share and evict slots
    String[] values = pool.toArray(String[]::new);
    var name = new AccessEncoder.Name("c");
    ObjectMapper json = new ObjectMapper();
    for (int round = 0; round < 500; round++) {
      String v = values[rnd.nextInt(values.length)];
      var line = new AccessEncoder.Line();
      line.raw(new byte[] {'{', '"', 'x', '"', ':', '0'});
      for (int i = rnd.nextInt(3); i > 0; i--)
        line.field(new AccessEncoder.Name("p" + i), "pad".repeat(rnd.nextInt(4)));
      line.fieldCached(name, v);
      line.raw(new byte[] {'}'});
      JsonNode j = json.readTree(new String(line.buf, 0, line.len, StandardCharsets.UTF_8));
      assertThat(j.get("c").asText()).as("round %d", round).isEqualTo(v);
    }
  }

  @Test
  void twoLinesWithDifferentRoutesAndAddressesEachNameTheirOwn() throws Exception {
    AccessEncoder enc = new AccessEncoder();
    var a =
        new AccessLog.AccessMarker(
            "GET", "/a", 200, 1, "10.0.0.1", null, "r1", "orders", "10.1.1.1:80", 5);
    var b =
        new AccessLog.AccessMarker(
            "POST", "/b", 201, 1, "10.0.0.2", null, "r2", "users", "10.1.1.2:80", 5);
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 3; i++) {
      JsonNode ja = json.readTree(new String(enc.encode(event(a, 0)), StandardCharsets.UTF_8));
      JsonNode jb = json.readTree(new String(enc.encode(event(b, 0)), StandardCharsets.UTF_8));
      assertThat(ja.get("bulwark.route").asText()).isEqualTo("orders");
      assertThat(ja.get("client.ip").asText()).isEqualTo("10.0.0.1");
      assertThat(ja.get("bulwark.upstream.target").asText()).isEqualTo("10.1.1.1:80");
      assertThat(ja.get("http.request.method").asText()).isEqualTo("GET");
      assertThat(jb.get("bulwark.route").asText()).isEqualTo("users");
      assertThat(jb.get("client.ip").asText()).isEqualTo("10.0.0.2");
      assertThat(jb.get("bulwark.upstream.target").asText()).isEqualTo("10.1.1.2:80");
      assertThat(jb.get("http.request.method").asText()).isEqualTo("POST");
      assertThat(jb.get("event.kind").asText()).isEqualTo("event");
    }
  }
}
