package bulwark.transport;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.server.ProxyFramingRules;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestFramingTest {
  static final String GOOD =
      "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n"
          + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
          + "\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n";

  /**
   * Feeds {@code in} in pieces of {@code step} bytes; returns what was passed on to the decoder.
   */
  private static String feed(EmbeddedChannel ch, String in, int step) {
    byte[] bytes = in.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < bytes.length && ch.isOpen(); i += step) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(step, bytes.length - i)));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b; (b = ch.readInbound()) != null; ) {
      byte[] x = new byte[b.readableBytes()];
      b.readBytes(x);
      b.release();
      out.writeBytes(x);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static String written(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  @Test
  void wellFramedBytesPassUnchangedWhateverTheirSplit() {
    for (int step : new int[] {1, 2, 7, 64, 10_000}) {
      EmbeddedChannel ch = new EmbeddedChannel(new RequestFraming(ProxyFramingRules.INSTANCE));
      assertThat(feed(ch, GOOD, step)).isEqualTo(GOOD);
      assertThat(ch.isOpen()).isTrue();
      assertThat(written(ch)).isEmpty();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void aSmuggledRequestIsCutOffAndAnswered400() {
    String first = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    String bad =
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
    for (int step : new int[] {1, 5, 10_000}) {
      EmbeddedChannel ch = new EmbeddedChannel(new RequestFraming(ProxyFramingRules.INSTANCE));
      String passed = feed(ch, first + bad, step);
      // the good request goes on; of the bad one at most an unfinished head (the decoder never
      // completes it)
      if (step > first.length()) assertThat(passed).isEqualTo(first);
      assertThat(passed).doesNotContain("chunked\r\n\r\n").doesNotContain("/smuggled");
      assertThat(written(ch))
          .startsWith("HTTP/1.1 400 Bad Request\r\n")
          .contains("Connection: close")
          .contains("both Content-Length and Transfer-Encoding");
      assertThat(ch.isOpen()).isFalse();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void tlsAndHttp2AreLeftAlone() {
    String h2 = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012\u0004";
    String tls = "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003";
    for (String in : new String[] {h2, tls}) {
      EmbeddedChannel ch = new EmbeddedChannel(new RequestFraming(ProxyFramingRules.INSTANCE));
      assertThat(feed(ch, in, 3)).isEqualTo(in);
      assertThat(ch.isOpen()).isTrue();
      ch.finishAndReleaseAll();
    }
  }

  static final String UPGRADE =
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  static final String FRAMES = "\u0081\u0085binary\n\rframes";

  /** The guard with an HTTP/1.x response encoder behind it, as in Vert.x's pipeline. */
  private static EmbeddedChannel http1() {
    return new EmbeddedChannel(
        new RequestFraming(ProxyFramingRules.INSTANCE), new HttpResponseEncoder());
  }

  @Test
  void anUpgradeIsLeftAloneOnlyOnceA101WentOut() {
    EmbeddedChannel ch = http1();
    assertThat(feed(ch, UPGRADE, 3)).isEqualTo(UPGRADE);
    ch.writeOutbound(
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
    assertThat(written(ch)).startsWith("HTTP/1.1 101 Switching Protocols");
    assertThat(feed(ch, FRAMES, 3)).isEqualTo(FRAMES);
    assertThat(ch.isOpen()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void anUpgradeThatWasNotAnsweredWith101LeavesTheGuardOn() {
    EmbeddedChannel ch = http1();
    assertThat(feed(ch, UPGRADE, 10_000)).isEqualTo(UPGRADE);
    ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    assertThat(written(ch)).startsWith("HTTP/1.1 200 OK");
    assertThat(feed(ch, FRAMES, 10_000)).isEmpty();
    assertThat(written(ch))
        .startsWith("HTTP/1.1 400 Bad Request\r\n")
        .contains("Connection: close");
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }

  @Test
  void aRefusalWaitsForTheAnswersBeforeIt() {
    EmbeddedChannel ch = http1();
    String first = "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    assertThat(
            feed(
                ch,
                first + "GET /bad HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  chunked\r\n\r\n",
                10_000))
        .isEqualTo(first);
    // nothing yet: the answer to /ok goes first
    assertThat(written(ch)).isEmpty();
    assertThat(ch.isOpen()).isTrue();
    ch.writeOutbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ch.writeOutbound(
        new DefaultLastHttpContent(Unpooled.copiedBuffer("ok", StandardCharsets.US_ASCII)));
    String out = written(ch);
    assertThat(out).startsWith("HTTP/1.1 200 OK");
    assertThat(out.indexOf("ok")).isLessThan(out.indexOf("HTTP/1.1 400 Bad Request"));
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }
}
