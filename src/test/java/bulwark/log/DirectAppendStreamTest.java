package bulwark.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectAppendStreamTest {
  @TempDir Path dir;

  /**
   * Whether this file system takes O_DIRECT at all (ext4 and xfs do; some overlay and network file
   * systems do not).
   */
  private static boolean directIoWorksIn(Path dir) {
    Path probe = dir.resolve("probe");
    try (FileChannel ch =
        FileChannel.open(
            probe,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
      int block = (int) Files.getFileStore(probe).getBlockSize();
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(2 * block).alignedSlice(block);
      b.limit(block);
      ch.write(b, 0);
      return true;
    } catch (Exception e) {
      return false;
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (java.io.IOException ignored) {
        // the temp dir goes anyway
      }
    }
  }

  private static byte[] line(int i) {
    return ("{\"n\":" + i + ",\"pad\":\"" + "x".repeat(i % 700) + "\"}\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void everyLineLandsInOrderAcrossBlocksBufferFillsAndFlushes() throws Exception {
    Path f = dir.resolve("access.log");
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    Random r = new Random(7);
    try (OutputStream out = DirectAppendStream.open(f.toString())) {
      if (directIoWorksIn(dir)) assertThat(out).isInstanceOf(DirectAppendStream.class);
      for (int i = 0; i < 12_000; i++) { // ~4 MiB: the 1 MiB buffer fills several times
        byte[] l = line(i);
        out.write(l);
        expected.write(l);
        if (r.nextInt(50) == 0) {
          out.flush();
          // what was flushed is in the file, exactly: no padding, no hole
          assertThat(Files.readAllBytes(f)).isEqualTo(expected.toByteArray());
        }
      }
      if (directIoWorksIn(dir))
        assertThat(((DirectAppendStream) out).isDirect())
            .as("blocks written with O_DIRECT")
            .isTrue();
    }
    assertThat(Files.readAllBytes(f)).isEqualTo(expected.toByteArray());
    assertThat(Files.size(f)).isGreaterThan(3L * DirectAppendStream.CAPACITY);
  }

  @Test
  void aFlushedPartialBlockIsVisibleAndLaterCompleted() throws Exception {
    Path f = dir.resolve("a.log");
    try (OutputStream out = DirectAppendStream.open(f.toString())) {
      out.write("first\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(Files.readString(f)).isEqualTo("first\n");
      out.write("second\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(Files.readString(f)).as("not flushed yet").isEqualTo("first\n");
      out.flush();
      assertThat(Files.readString(f)).isEqualTo("first\nsecond\n");
      byte[] big = "y".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
      out.write(big);
      out.flush();
      assertThat(Files.readString(f)).isEqualTo("first\nsecond\n" + "y".repeat(10_000));
    }
  }

  @Test
  void anExistingFileIsAppendedTo() throws Exception {
    Path f = dir.resolve("old.log");
    String before = "old line\n".repeat(1000); // 9000 bytes: not a whole number of blocks
    Files.writeString(f, before);
    try (OutputStream out = DirectAppendStream.open(f.toString())) {
      out.write("new line\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(Files.readString(f)).isEqualTo(before + "new line\n");
      out.write("z".repeat(5000).getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(Files.readString(f)).isEqualTo(before + "new line\n" + "z".repeat(5000));
  }

  @Test
  void aFileTruncatedBehindItsBackIsContinuedAtItsNewEnd() throws Exception {
    Path f = dir.resolve("rot.log");
    try (OutputStream out = DirectAppendStream.open(f.toString())) {
      out.write("a".repeat(20_000).getBytes(StandardCharsets.US_ASCII));
      out.flush();
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(0); // logrotate's copytruncate
      }
      out.write("after rotation\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(Files.readString(f))
          .as("no hole of zeros before the new line")
          .isEqualTo("after rotation\n");
    }
  }

  @Test
  void aDeviceGetsAPlainStream() throws Exception {
    try (OutputStream out = DirectAppendStream.open("/dev/null")) {
      assertThat(out).isNotInstanceOf(DirectAppendStream.class);
      out.write("dropped\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }
}
