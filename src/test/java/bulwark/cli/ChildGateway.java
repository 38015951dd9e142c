package bulwark.cli;

import bulwark.it.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/** Helpers of the start-up tests: a minimal config, a thin jar, waiting for a child's exit. */
final class ChildGateway {
  private ChildGateway() {}

  /** The smallest useful config: one route to {@code upstreamUrl}, access log off. */
  static Path minimalConfig(Path dir, int port, int admin, String upstreamUrl) throws IOException {
    return Files.writeString(
        dir.resolve("bulwark.yaml"),
        """
        server:
          listen: "127.0.0.1:%d"
          shutdown: { gracePeriod: 1s, drainWindow: 0s }
        admin:
          listen: "127.0.0.1:%d"
        observability:
          accessLog: { enabled: false }
        upstreams:
          api: { targets: [ { url: "%s" } ] }
        routes:
          - name: api
            match: { path: /api/** }
            upstream: api
        """
            .formatted(port, admin, upstreamUrl));
  }

  /**
   * A jar holding only a manifest: Main-Class bulwark.cli.Main and a Class-Path of this test run's
   * classpath (target/classes and the dependency jars), so that {@code java -jar} runs the classes
   * under test without `mvn package` having run.
   */
  static Path thinJar(Path file, String extraEntry) throws IOException {
    StringBuilder cp = new StringBuilder();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (e.isBlank()) continue;
      Path p = Path.of(e).toAbsolutePath();
      String uri = p.toUri().toString();
      if (Files.isDirectory(p) && !uri.endsWith("/")) uri += "/";
      cp.append(uri).append(' ');
    }
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "bulwark.cli.Main");
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString().trim());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(file), m)) {
      if (extraEntry != null) {
        out.putNextEntry(new java.util.zip.ZipEntry(extraEntry));
        out.write(extraEntry.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return file;
  }

  /** Whether a GET of {@code url} answers 200. */
  static boolean ok(String url) {
    try {
      return TestSupport.get(url).statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** SIGTERM, then the exit (SIGKILL if it does not come within a minute). */
  static int stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    return p.exitValue();
  }
}
