package bulwark.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** gRPC-Web's pieces: content types, the streaming base64 both ways, the trailer frame. */
class GrpcWebTest {

  @Test
  void contentTypes() {
    assertThat(GrpcWeb.of("application/grpc-web").mode()).isEqualTo(GrpcWeb.Mode.BINARY);
    assertThat(GrpcWeb.of("application/grpc-web+proto").upstreamContentType())
        .isEqualTo("application/grpc+proto");
    assertThat(GrpcWeb.of("Application/gRPC-Web-Text; charset=utf-8").mode())
        .isEqualTo(GrpcWeb.Mode.TEXT);
    assertThat(GrpcWeb.of("application/grpc-web-text+proto").upstreamContentType())
        .isEqualTo("application/grpc+proto");
    assertThat(GrpcWeb.of("application/grpc")).isNull();
    assertThat(GrpcWeb.of("application/grpc+proto")).isNull();
    assertThat(GrpcWeb.of("application/grpc-webx")).isNull();
    assertThat(GrpcWeb.of(null)).isNull();
    assertThat(GrpcWeb.grpcResponse("application/grpc")).isTrue();
    assertThat(GrpcWeb.grpcResponse("application/grpc+proto")).isTrue();
    assertThat(GrpcWeb.grpcResponse("application/json")).isFalse();
  }

  /** Decodes {@code text} fed in pieces of {@code step} bytes, as a body streams in. */
  static byte[] decode(String text, int step) {
    GrpcWeb.TextDecoder d = new GrpcWeb.TextDecoder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] in = text.getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < in.length; i += step) {
      d.input(Buffer.buffer(Arrays.copyOfRange(in, i, Math.min(in.length, i + step))));
      for (Buffer b; (b = d.next()) != null; ) out.writeBytes(b.getBytes());
    }
    d.end();
    for (Buffer b; (b = d.next()) != null; ) out.writeBytes(b.getBytes());
    return out.toByteArray();
  }

  @Test
  void textDecoderTakesChunksPaddedOrNotInAnyPieces() {
    byte[] data = new byte[200_003];
    new Random(1).nextBytes(data);
    Base64.Encoder enc = Base64.getEncoder();
    String padded =
        enc.encodeToString(Arrays.copyOfRange(data, 0, 1))
            + enc.encodeToString(Arrays.copyOfRange(data, 1, 101))
            + enc.encodeToString(Arrays.copyOfRange(data, 101, data.length));
    for (int step : new int[] {1, 2, 3, 5, 4096, 1 << 20}) {
      assertThat(decode(padded, step)).as("step %d", step).isEqualTo(data);
      assertThat(decode(enc.withoutPadding().encodeToString(data), step)).isEqualTo(data);
      assertThat(decode(enc.encodeToString(data).replaceAll("(.{76})", "$1\r\n"), step))
          .isEqualTo(data);
    }
    assertThat(decode("", 1)).isEmpty();
    assertThat(decode("QQ", 1)).isEqualTo(new byte[] {'A'});
    assertThat(decode("QUI", 1)).isEqualTo(new byte[] {'A', 'B'});
  }

  @Test
  void textDecoderRejectsWhatIsNotBase64() {
    assertThatThrownBy(() -> decode("AAAA*AAA", 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not valid gRPC-Web text (base64) at byte 4: '*' is not a base64 character");
    assertThatThrownBy(() -> decode("A===", 4)).hasMessageContaining("'=' where");
    assertThatThrownBy(() -> decode("AB=C", 4)).hasMessageContaining("after '='");
    assertThatThrownBy(() -> decode("ABCDE", 4)).hasMessageContaining("ends inside a group");
    assertThatThrownBy(() -> decode("ABC=A", 5)).hasMessageContaining("ends inside a group");
  }

  /** Decodes base64 that may be several padded chunks one after the other, group by group. */
  static byte[] decodeChunks(byte[] text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length; i += 4)
      out.writeBytes(Base64.getDecoder().decode(Arrays.copyOfRange(text, i, i + 4)));
    return out.toByteArray();
  }

  /**
   * Each piece of a text response goes out whole at once, padded (a streamed message is never held
   * back for the next one), and the pieces join into a body any chunk-aware client decodes.
   */
  @Test
  void textResponseSendsEachPieceWholeAtOnce() {
    byte[] data = new byte[100_000];
    new Random(2).nextBytes(data);
    for (int step : new int[] {1, 2, 4, 7, 16384}) {
      GrpcWeb.Response r = GrpcWeb.of("application/grpc-web-text").response();
      MultiMap h = HttpHeaders.headers().add("content-type", "application/grpc");
      r.head(h, h);
      assertThat(h.get("content-type")).isEqualTo("application/grpc-web-text");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < data.length; i += step) {
        byte[] piece = Arrays.copyOfRange(data, i, Math.min(data.length, i + step));
        byte[] sent = r.data(Buffer.buffer(piece)).getBytes();
        assertThat(Base64.getDecoder().decode(sent)).isEqualTo(piece);
        out.writeBytes(sent);
      }
      MultiMap trailers = HttpHeaders.headers().add("grpc-status", "0");
      out.writeBytes(r.end(null, trailers).getBytes());
      byte[] all = decodeChunks(out.toByteArray());
      assertThat(Arrays.copyOf(all, data.length)).as("step %d", step).isEqualTo(data);
      assertThat(Arrays.copyOfRange(all, data.length, all.length))
          .isEqualTo(GrpcWeb.trailerFrame(List.of(Map.entry("grpc-status", "0"))));
    }
  }

  @Test
  void aTrailersOnlyHeadMovesIntoTheBody() {
    GrpcWeb.Response r = GrpcWeb.of("application/grpc-web+proto").response();
    MultiMap up =
        HttpHeaders.headers()
            .add("content-type", "application/grpc")
            .add("content-length", "0")
            .add("grpc-status", "5")
            .add("grpc-message", "gone")
            .add("x-other", "moves");
    // the client's head: the upstream's copied onto what the filters set
    MultiMap h = HttpHeaders.headers().add("access-control-allow-origin", "https://a").addAll(up);
    r.head(up, h);
    assertThat(h.get("content-type")).isEqualTo("application/grpc-web+proto");
    assertThat(h.names()).containsExactlyInAnyOrder("content-type", "access-control-allow-origin");
    byte[] body = r.end(null, HttpHeaders.headers()).getBytes();
    byte[] lines =
        "grpc-status:5\r\ngrpc-message:gone\r\nx-other:moves\r\n".getBytes(StandardCharsets.UTF_8);
    assertThat(body[0] & 0xFF).isEqualTo(0x80);
    assertThat(Buffer.buffer(body).getInt(1)).isEqualTo(lines.length);
    assertThat(Arrays.copyOfRange(body, 5, body.length)).isEqualTo(lines);
  }
}
