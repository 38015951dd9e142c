package bulwark.filter.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.filter.BodyEncoder;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The streaming encoders: pieces in, a stream that standard decoders read back byte for byte; each
 * piece is flushed (its bytes decode before the end comes); close frees the native state once.
 */
class EncodersTest {

  /** Text with repeats (compressible) and some noise, of {@code n} bytes. */
  static byte[] sample(int n, long seed) {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder(n + 64);
    while (sb.length() < n)
      sb.append("{\"id\":")
          .append(r.nextInt(100_000))
          .append(",\"name\":\"item\",\"tags\":[\"a\",\"b\"]},");
    return sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
  }

  /** Encodes {@code data} in pieces of {@code piece} bytes, the last one given to finish. */
  static byte[] encodeInPieces(BodyEncoder enc, byte[] data, int piece) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pos = 0;
    while (data.length - pos > piece) {
      Buffer b = enc.encode(Buffer.buffer().appendBytes(data, pos, piece));
      out.writeBytes(b.getBytes());
      pos += piece;
    }
    Buffer last =
        pos < data.length ? Buffer.buffer().appendBytes(data, pos, data.length - pos) : null;
    out.writeBytes(enc.finish(last).getBytes());
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  static byte[] unbrotli(byte[] br) throws IOException {
    try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(br))) {
      return in.readAllBytes();
    }
  }

  @Test
  void gzipInPiecesDecodesToTheSameBytes() throws IOException {
    for (int size : new int[] {0, 1, 1000, 100_000, 1_000_000}) {
      byte[] data = sample(size, size);
      for (int piece : new int[] {1 << 10, 16 << 10, 64 << 10})
        for (boolean flush : new boolean[] {true, false}) {
          GzipEncoder enc = new GzipEncoder(6, flush);
          byte[] gz = encodeInPieces(enc, data, piece);
          assertThat(gunzip(gz))
              .as("size %d piece %d flush %s", size, piece, flush)
              .isEqualTo(data);
          assertThat(enc.bytesIn()).isEqualTo(size);
          assertThat(enc.bytesOut()).isEqualTo(gz.length);
          assertThat(enc.closed()).as("finish closes").isTrue();
          if (size >= 100_000) assertThat(gz.length).isLessThan(size / 3);
        }
    }
  }

  @Test
  void brotliInPiecesDecodesToTheSameBytes() throws IOException {
    for (int size : new int[] {0, 1, 1000, 100_000, 1_000_000}) {
      byte[] data = sample(size, size);
      for (int piece : new int[] {1 << 10, 40 << 10, 100 << 10})
        for (boolean flush : new boolean[] {true, false}) {
          BrotliEncoder enc = new BrotliEncoder(4, flush);
          byte[] br = encodeInPieces(enc, data, piece);
          assertThat(unbrotli(br))
              .as("size %d piece %d flush %s", size, piece, flush)
              .isEqualTo(data);
          assertThat(enc.bytesIn()).isEqualTo(size);
          assertThat(enc.bytesOut()).isEqualTo(br.length);
          assertThat(enc.closed()).isTrue();
          if (size >= 100_000) assertThat(br.length).isLessThan(size / 3);
        }
    }
  }

  /**
   * With flush (a body of unknown length), what one piece gave out decodes to that piece before the
   * end: nothing is held back. Without, a small piece stays in the encoder.
   */
  @Test
  void eachPieceIsFlushed() throws IOException {
    byte[] first = sample(5000, 1);
    GzipEncoder gz = new GzipEncoder(6, true);
    byte[] part = gz.encode(Buffer.buffer(first)).getBytes();
    assertThat(inflatePrefix(part)).isEqualTo(first);
    gz.close();

    BrotliEncoder br = new BrotliEncoder(4, true);
    byte[] bpart = br.encode(Buffer.buffer(first)).getBytes();
    assertThat(unbrotliPrefix(bpart)).isEqualTo(first);
    br.close();

    GzipEncoder held = new GzipEncoder(6, false);
    assertThat(inflatePrefix(held.encode(Buffer.buffer(first)).getBytes())).isEmpty();
    held.close();
    BrotliEncoder heldBr = new BrotliEncoder(4, false);
    assertThat(heldBr.encode(Buffer.buffer(first)).length()).isZero();
    heldBr.close();
  }

  /** A gzip stream without its end: the raw deflate after the 10-byte header, sync-flushed. */
  static byte[] inflatePrefix(byte[] gz) {
    java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
    try {
      inf.setInput(gz, 10, gz.length - 10);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = inf.inflate(buf)) > 0) out.write(buf, 0, n);
      return out.toByteArray();
    } catch (java.util.zip.DataFormatException e) {
      throw new AssertionError(e);
    } finally {
      inf.end();
    }
  }

  /** Decodes a Brotli stream without its end, as far as it goes. */
  static byte[] unbrotliPrefix(byte[] br) throws IOException {
    DecoderJNI.Wrapper d = new DecoderJNI.Wrapper(br.length);
    try {
      d.getInputBuffer().put(br);
      d.push(br.length);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (true) {
        if (d.hasOutput()) {
          ByteBuffer o = d.pull();
          byte[] b = new byte[o.remaining()];
          o.get(b);
          out.writeBytes(b);
        } else if (d.getStatus() == DecoderJNI.Status.NEEDS_MORE_OUTPUT) {
          d.push(0);
        } else {
          assertThat(d.getStatus()).isEqualTo(DecoderJNI.Status.NEEDS_MORE_INPUT);
          return out.toByteArray();
        }
      }
    } finally {
      d.destroy();
    }
  }

  @Test
  void closeIsIdempotentAndAClosedBrotliEncoderRefusesMore() {
    GzipEncoder gz = new GzipEncoder(6, true);
    gz.encode(Buffer.buffer("abc"));
    gz.close();
    gz.close();
    assertThat(gz.closed()).isTrue();
    BrotliEncoder br = new BrotliEncoder(4, true);
    br.encode(Buffer.buffer("abc"));
    br.close();
    br.close();
    assertThat(br.closed()).isTrue();
    assertThatThrownBy(() -> br.encode(Buffer.buffer("x")))
        .isInstanceOf(IllegalStateException.class);
  }
}
