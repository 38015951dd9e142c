package bulwark.filter.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The request-body inflater: any split of the input, several members, optional header fields,
 * slices of at most 64 KiB whatever the ratio, and every kind of bad input refused.
 */
class GzipDecoderTest {
  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** Feeds {@code gz} in pieces of {@code piece} bytes; the decoded bytes. */
  static byte[] decode(byte[] gz, int piece) {
    GzipDecoder d = new GzipDecoder();
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int pos = 0; pos < gz.length; pos += piece) {
        d.input(Buffer.buffer().appendBytes(gz, pos, Math.min(piece, gz.length - pos)));
        for (Buffer b; (b = d.next()) != null; ) {
          assertThat(b.length()).isBetween(1, GzipDecoder.SLICE);
          out.writeBytes(b.getBytes());
        }
      }
      d.end();
      return out.toByteArray();
    } finally {
      d.close();
    }
  }

  @Test
  void anySplitOfTheInputDecodesToTheSameBytes() throws IOException {
    byte[] data = EncodersTest.sample(200_000, 3);
    byte[] gz = gzip(data);
    for (int piece : new int[] {1, 7, 10, 11, 1000, 65536, gz.length})
      assertThat(decode(gz, piece)).as("pieces of %d", piece).isEqualTo(data);
    assertThat(decode(new byte[0], 1)).as("an empty body").isEmpty();
    assertThat(decode(gzip(new byte[0]), 3)).isEmpty();
  }

  @Test
  void membersFollowOneAnother() throws IOException {
    byte[] a = EncodersTest.sample(5000, 1);
    byte[] b = EncodersTest.sample(7000, 2);
    byte[] both = concat(gzip(a), gzip(b));
    for (int piece : new int[] {1, 13, both.length})
      assertThat(decode(both, piece)).isEqualTo(concat(a, b));
  }

  @Test
  void optionalHeaderFieldsAreSkipped() throws IOException {
    byte[] data = EncodersTest.sample(3000, 4);
    byte[] gz = gzip(data);
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.write(gz, 0, 10);
    h.write(new byte[] {4, 0, 'a', 'b', 'c', 'd'}); // FEXTRA: 4 bytes
    h.writeBytes("body.json\0".getBytes());
    h.writeBytes("a comment\0".getBytes());
    h.write(new byte[] {0x12, 0x34}); // FHCRC (not checked)
    h.write(gz, 10, gz.length - 10);
    byte[] withFields = h.toByteArray();
    withFields[3] = 4 | 8 | 16 | 2;
    for (int piece : new int[] {1, 5, withFields.length})
      assertThat(decode(withFields, piece)).isEqualTo(data);
  }

  /** 10 MiB of zeros in about 10 KiB: given at once, it still comes out 64 KiB at a time. */
  @Test
  void aHighRatioBodyComesOutInBoundedSlices() throws IOException {
    byte[] gz = gzip(new byte[10 << 20]);
    assertThat(gz.length).isLessThan(20_000);
    GzipDecoder d = new GzipDecoder();
    d.input(Buffer.buffer(gz));
    long total = 0;
    int slices = 0;
    for (Buffer b; (b = d.next()) != null; slices++) {
      assertThat(b.length()).isLessThanOrEqualTo(GzipDecoder.SLICE);
      total += b.length();
    }
    d.end();
    d.close();
    assertThat(total).isEqualTo(10 << 20);
    assertThat(slices).isGreaterThanOrEqualTo(160);
  }

  @Test
  void badInputIsRefused() throws IOException {
    byte[] gz = gzip(EncodersTest.sample(5000, 5));
    assertThatThrownBy(() -> decode("plain text, not gzip".getBytes(), 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not gzip");
    byte[] badCrc = gz.clone();
    badCrc[badCrc.length - 6] ^= 1;
    assertThatThrownBy(() -> decode(badCrc, 100)).hasMessageContaining("CRC-32");
    byte[] badLength = gz.clone();
    badLength[badLength.length - 2] ^= 1;
    assertThatThrownBy(() -> decode(badLength, 100)).hasMessageContaining("length");
    assertThatThrownBy(() -> decode(Arrays.copyOf(gz, gz.length - 3), 100))
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> decode(Arrays.copyOf(gz, 5), 100)).hasMessageContaining("truncated");
    byte[] badData = gz.clone();
    for (int i = 12; i < 40; i++) badData[i] = (byte) 0xff;
    assertThatThrownBy(() -> decode(badData, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> decode(concat(gz, new byte[] {1, 2, 3}), 100))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void closeFreesTheInflaterOnce() {
    long open = CompressionFilter.openEncoders();
    GzipDecoder d = new GzipDecoder();
    assertThat(CompressionFilter.openEncoders()).isEqualTo(open + 1);
    d.close();
    d.close();
    assertThat(CompressionFilter.openEncoders()).isEqualTo(open);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
