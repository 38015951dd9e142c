package bulwark.transport;

import static org.assertj.core.api.Assertions.assertThat;

import bulwark.server.ProxyFramingRules;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Jazzer: for any byte stream, cut anywhere, the smuggling guard never throws, passes on a prefix
 * of the stream exactly as it came (all of it while the connection stays open), and when it refuses
 * answers 400 and closes. Seeds in
 * src/test/resources/bulwark/transport/RequestFramingFuzzTestInputs/frame/.
 */
class RequestFramingFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void frame(byte[] input) {
    int cut = input.length == 0 ? 0 : (input[input.length - 1] & 0xff) % (input.length + 1);
    EmbeddedChannel ch = new EmbeddedChannel(new RequestFraming(ProxyFramingRules.INSTANCE));
    try {
      ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, 0, cut)));
      if (ch.isOpen())
        ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(input, cut, input.length)));
      ByteArrayOutputStream passed = new ByteArrayOutputStream();
      for (ByteBuf b; (b = ch.readInbound()) != null; ) {
        byte[] x = new byte[b.readableBytes()];
        b.readBytes(x);
        b.release();
        passed.writeBytes(x);
      }
      byte[] out = passed.toByteArray();
      assertThat(out.length).isLessThanOrEqualTo(input.length);
      assertThat(Arrays.copyOf(input, out.length)).isEqualTo(out);
      StringBuilder written = new StringBuilder();
      for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
        written.append(b.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
        b.release();
      }
      if (ch.isOpen()) {
        assertThat(out.length).isEqualTo(input.length);
        assertThat(written).isEmpty();
      } else {
        assertThat(written.toString()).startsWith("HTTP/1.1 400 Bad Request\r\n");
      }
    } finally {
      ch.finishAndReleaseAll();
    }
  }
}
