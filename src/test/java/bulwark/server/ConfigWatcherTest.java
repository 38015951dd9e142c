package bulwark.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settle period on a fake clock: polls are called by hand, the file is real. */
class ConfigWatcherTest {
  private final AtomicLong now = new AtomicLong();
  private final AtomicInteger reloads = new AtomicInteger();

  private FileWatcher watcher(Path file, Duration settle) {
    return new FileWatcher(List.of(file), () -> settle, now::get, reloads::incrementAndGet);
  }

  private void advance(long millis) {
    now.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
  }

  @Test
  void aChangeIsAppliedOnlyAfterTheFileStayedTheSameForTheSettlePeriod(@TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Files.writeString(f, "a: 1\n");
    FileWatcher w = watcher(f, Duration.ofSeconds(1));
    assertThat(w.poll()).isFalse();
    Files.writeString(f, "a: 1\nb:\n"); // the writer's first step
    assertThat(w.poll()).isFalse();
    advance(300);
    Files.writeString(
        f, "a: 1\nb:\n  c: 2\n"); // its second step, 300 ms later: the settle period starts again
    assertThat(w.poll()).isFalse();
    advance(999);
    assertThat(w.poll()).isFalse();
    assertThat(reloads).hasValue(0);
    advance(1);
    assertThat(w.poll()).isTrue();
    assertThat(reloads).hasValue(1);
    advance(5000);
    assertThat(w.poll()).isFalse();
    assertThat(reloads).hasValue(1);
  }

  @Test
  void aRenameIntoPlaceIsSeenAndAMissingFileIsWaitedFor(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bulwark.yaml");
    Files.writeString(f, "a: 1\n");
    FileWatcher w = watcher(f, Duration.ZERO);
    Files.delete(f);
    advance(50);
    assertThat(w.poll()).isFalse();
    Path tmp = dir.resolve("bulwark.yaml.tmp");
    Files.writeString(tmp, "a: 2\n");
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
    advance(50);
    assertThat(w.poll()).isTrue();
    assertThat(reloads).hasValue(1);
  }

  @Test
  void aCertificateAndItsKeyWrittenOneAfterTheOtherAreAppliedOnceBothSettled(@TempDir Path dir)
      throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    Files.writeString(cert, "old cert\n");
    Files.writeString(key, "old key\n");
    FileWatcher w =
        new FileWatcher(
            List.of(cert, key), () -> Duration.ofMillis(200), now::get, reloads::incrementAndGet);
    Files.writeString(cert, "new certificate\n");
    assertThat(w.poll()).isFalse();
    advance(150);
    Files.delete(key); // a writer that replaces the key: missing for a moment, which is waited for
    assertThat(w.poll()).isFalse();
    advance(500);
    assertThat(w.poll()).isFalse();
    Files.writeString(key, "new private key\n");
    assertThat(w.poll()).isFalse();
    advance(199);
    assertThat(w.poll()).isFalse();
    assertThat(reloads).hasValue(0);
    advance(1);
    assertThat(w.poll()).isTrue();
    assertThat(reloads).hasValue(1);
  }
}
