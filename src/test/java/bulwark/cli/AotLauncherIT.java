package bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import bulwark.it.TestSupport;
import bulwark.it.TestSupport.Upstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The launcher (./bulwark run) with an AOT cache that is missing, stale (made for another build of
 * the jar) or corrupt (its stamp matches, so the JVM gets it): the gateway starts and proxies a 200
 * in each case, and the launcher says why it runs without the cache in one INFO line. The jar is a
 * thin one whose manifest points at this test run's classpath, so no `mvn package` is needed; the
 * stamps are written by scripts/aot-cache itself.
 */
class AotLauncherIT {
  private static final String INFO = "bulwark: INFO running without the AOT cache";

  /**
   * The cache's file name and the JVM's log tag for it: the AOT cache on JDK 25+, an AppCDS archive
   * on 21-24 (the launcher runs the JDK that runs this test: JAVA_HOME, see scripts/find-java).
   */
  private static final boolean AOT = Runtime.version().feature() >= 25;

  private static final String CACHE = AOT ? "bulwark.aot" : "bulwark.jsa";
  private static final String JVM_TAG = AOT ? "[aot" : "[cds";

  @Test
  void missingCache() throws Exception {
    Path dir = Files.createTempDirectory("bulwark-aot-missing");
    Path jar = ChildGateway.thinJar(dir.resolve("bulwark.jar"), null);
    String out = runAndGet200(dir, jar);
    assertThat(out).contains(INFO + " (no " + dir.resolve(CACHE) + ")");
    assertThat(out.lines().filter(l -> l.contains(INFO))).hasSize(1);
  }

  @Test
  void staleCacheIsNotUsed() throws Exception {
    Path dir = Files.createTempDirectory("bulwark-aot-stale");
    Path jar = ChildGateway.thinJar(dir.resolve("bulwark.jar"), null);
    Files.write(dir.resolve(CACHE), garbage());
    Files.writeString(dir.resolve(CACHE + ".stamp"), stamp(jar));
    // the jar is built again after its cache was made: another size and modification time
    ChildGateway.thinJar(jar, "rebuilt.txt");
    Files.setLastModifiedTime(
        jar,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(jar).toMillis() + 5000));
    String out = runAndGet200(dir, jar);
    assertThat(out)
        .contains(INFO + " (" + dir.resolve(CACHE) + " was made for another build of bulwark.jar)");
    // the launcher did not hand the cache to the JVM
    assertThat(out).doesNotContain(JVM_TAG);
  }

  @Test
  void corruptCacheWithAMatchingStampStillServes() throws Exception {
    Path dir = Files.createTempDirectory("bulwark-aot-corrupt");
    Path jar = ChildGateway.thinJar(dir.resolve("bulwark.jar"), null);
    Files.write(dir.resolve(CACHE), garbage());
    Files.writeString(dir.resolve(CACHE + ".stamp"), stamp(jar));
    String out = runAndGet200(dir, jar);
    // the launcher used the cache, the JVM refused it and went on without
    assertThat(out).doesNotContain(INFO).contains(JVM_TAG);
  }

  /** Starts `./bulwark run` on a minimal config, waits for a proxied 200, stops it; its output. */
  private static String runAndGet200(Path dir, Path jar) throws Exception {
    try (Upstream up = new Upstream("api")) {
      int port = TestSupport.freePort();
      int admin = TestSupport.freePort();
      Path cfg = ChildGateway.minimalConfig(dir, port, admin, up.url());
      Path log = dir.resolve("out.log");
      ProcessBuilder pb =
          new ProcessBuilder("./bulwark", "run", "--no-watch", "-c", cfg.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("BULWARK_JAR", jar.toString());
      pb.environment().remove("BULWARK_AOT");
      pb.environment().remove("BULWARK_AOT_CACHE");
      // the launcher's flags pre-touch a 512 MiB heap; the cache check does not depend on it
      pb.environment().put("BULWARK_JAVA_OPTS", "-XX:-AlwaysPreTouch");
      Process p = pb.start();
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .until(
                () -> ChildGateway.ok("http://127.0.0.1:" + port + "/api/items/1") || !p.isAlive());
        assertThat(p.isAlive()).as("gateway exited:\n%s", read(log)).isTrue();
        assertThat(ChildGateway.ok("http://127.0.0.1:" + port + "/api/items/1")).isTrue();
      } finally {
        ChildGateway.stop(p);
      }
      return read(log);
    }
  }

  /** What scripts/aot-cache writes as the stamp of a cache made now for {@code jar}. */
  private static String stamp(Path jar) throws Exception {
    Process p =
        new ProcessBuilder(
                "bash",
                "-c",
                "jh=$(scripts/find-java) && scripts/aot-cache stamp \"$jh\" \"$1\" \"$(scripts/jvm-flags \"$jh\")\"",
                "_",
                jar.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    assertThat(s).startsWith("jar ");
    return s;
  }

  private static byte[] garbage() {
    byte[] b = new byte[64 * 1024];
    new Random(42).nextBytes(b);
    return b;
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }
}
