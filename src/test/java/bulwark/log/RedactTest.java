package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactTest {
  static final String JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNlY3JldA";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "Authorization: Bearer s3cr3t-t0ken-value          | s3cr3t-t0ken-value",
        "authorization=Basic YWxpY2U6c2VjcmV0              | YWxpY2U6c2VjcmV0",
        "Proxy-Authorization: Basic cHJveHk6cGFzcw==       | cHJveHk6cGFzcw==",
        "Cookie: session=abc123def; other=x                | abc123def",
        "X-API-Key: k-live-0123456789                      | k-live-0123456789",
        "GET /x?api_key=k-live-0123456789&page=2           | k-live-0123456789",
        "/x?apikey=AKIA0123456789                          | AKIA0123456789",
        "/cb?access_token=at-0123456789&state=1            | at-0123456789",
        "/cb?token=tk-0123456789                           | tk-0123456789",
        "call failed with bearer abcdefghijklmnop          | abcdefghijklmnop",
        "/items/" + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln | eyJzdWIiOiJhbGljZSJ9",
      })
  void secretsAreMasked(String text, String secret) {
    String out = Redact.text(text);
    assertThat(out).doesNotContain(secret).contains(Redact.MASK);
  }

  @Test
  void ordinaryTextIsLeftAlone() {
    for (String s :
        new String[] {
          "GET /api/users/7?page=2&sort=name",
          "the admin API needs a valid bearer token",
          "upstream 'users': target 10.0.0.5:8081 is UP",
          "monkey business"
        }) {
      assertThat(Redact.text(s)).isEqualTo(s);
    }
    assertThat(Redact.query("a=1&api_key=zzz&b=2"))
        .isEqualTo("a=1&api_key=" + Redact.MASK + "&b=2");
    assertThat(Redact.header("Authorization", "Bearer x")).isEqualTo(Redact.MASK);
    assertThat(Redact.header("Accept", "text/html")).isEqualTo("text/html");
  }

  /**
   * The application log as configured for production (LogSetup) masks messages and stack traces.
   */
  @Test
  void theProductionAppLogEncoderMasksMessagesAndStackTraces() throws Exception {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    LogSetup.apply(ctx);
    AsyncAppender async = (AsyncAppender) ctx.getLogger("ROOT").getAppender("ASYNC");
    @SuppressWarnings("unchecked")
    Encoder<ILoggingEvent> enc =
        ((OutputStreamAppender<ILoggingEvent>) async.getAppender("APP")).getEncoder();
    var logger = ctx.getLogger("bulwark.test");
    Exception e =
        new IllegalStateException(
            "bad header Authorization: Bearer " + JWT + " for /x?api_key=k-live-0123456789");
    LoggingEvent ev =
        new LoggingEvent(
            "x",
            logger,
            Level.ERROR,
            "request {} failed: Cookie: sid=cookie-secret-1 {}",
            e,
            new Object[] {"r1", "X-API-Key: k-live-0123456789"});
    String line = new String(enc.encode(ev), StandardCharsets.UTF_8);
    assertThat(line)
        .contains("request r1 failed")
        .contains(Redact.MASK)
        .contains("IllegalStateException");
    assertThat(line)
        .doesNotContain(JWT)
        .doesNotContain("eyJzdWIiOiJhbGljZSJ9")
        .doesNotContain("k-live-0123456789")
        .doesNotContain("cookie-secret-1");
    ctx.stop();
  }

  @org.junit.jupiter.api.Test
  void thePreCheckFindsEveryHintInAnyCaseAndNothingElse() {
    for (String hit :
        new String[] {
          "x-API-KEY",
          "Authorization",
          "BEARER abc",
          "basic",
          "Digest x",
          "negotiate",
          "access_TOKEN=1",
          "Set-Cookie",
          "client_Secret",
          "PassWord",
          "eyJhbGciOi",
          "/p?auth=1",
          "tail key"
        }) {
      assertThat(Redact.suspicious(hit)).as(hit).isTrue();
    }
    for (String miss :
        new String[] {
          "",
          "/api/items/42",
          "GET",
          "200",
          "users-v1",
          "127.0.0.1:8080",
          "Mozilla/5.0 (X11; Linux x86_64)",
          "ke",
          "toke",
          "passwor",
          "ey"
        }) {
      assertThat(Redact.suspicious(miss)).as(miss).isFalse();
    }
  }
}
