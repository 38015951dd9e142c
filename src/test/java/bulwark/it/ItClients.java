package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Helpers of the integration tests on top of {@link TestSupport}: raw HTTP/1.1 sockets and
 * problem+json checks.
 */
final class ItClients {
  private ItClients() {}

  /** One response read off a raw socket. {@code headers} is exactly what came on the wire. */
  record RawResponse(int status, MultiMap headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** A raw HTTP/1.1 client connection: what is written is exactly what the gateway receives. */
  static final class RawConnection implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawConnection(int port) throws IOException {
      socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(20_000);
      in = socket.getInputStream();
      out = socket.getOutputStream();
    }

    /** Writes {@code text} (CRLF line ends are the caller's business). */
    RawConnection write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return this;
    }

    RawConnection write(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
      return this;
    }

    /**
     * Sends a request head (lines without CRLF; the blank line is added) and reads one response.
     */
    RawResponse exchange(String... headLines) throws IOException {
      write(String.join("\r\n", headLines) + "\r\n\r\n");
      return read(false);
    }

    /**
     * Reads one response; {@code head} true for a response to HEAD (no body). Interim 1xx responses
     * are skipped.
     */
    RawResponse read(boolean head) throws IOException {
      RawResponse r;
      do {
        r = readOne(head);
      } while (r.status() >= 100 && r.status() < 200 && r.status() != 101);
      return r;
    }

    /** Reads one interim (1xx) response, or whatever response comes first. */
    RawResponse readInterim() throws IOException {
      return readOne(false);
    }

    private RawResponse readOne(boolean head) throws IOException {
      String statusLine = line();
      if (statusLine == null) throw new IOException("connection closed before a response");
      String[] parts = statusLine.split(" ", 3);
      int status = Integer.parseInt(parts[1]);
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      for (String l = line(); l != null && !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        headers.add(l.substring(0, colon).trim(), l.substring(colon + 1).trim());
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean noBody = head || status == 204 || status == 304 || status < 200;
      String te = headers.get("Transfer-Encoding");
      String cl = headers.get("Content-Length");
      if (noBody) {
        // nothing
      } else if (te != null && te.equalsIgnoreCase("chunked")) {
        for (; ; ) {
          String size = line();
          int semi = size.indexOf(';');
          int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
          if (n == 0) {
            while (!line().isEmpty()) {
              // trailers
            }
            break;
          }
          body.write(in.readNBytes(n));
          line();
        }
      } else if (cl != null) {
        body.write(in.readNBytes(Integer.parseInt(cl)));
      } else {
        body.write(in.readAllBytes());
      }
      return new RawResponse(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    /** True when the peer closed the connection (reads EOF, or a reset). */
    boolean closedByPeer() {
      try {
        return in.read() < 0;
      } catch (java.net.SocketTimeoutException e) {
        return false; // still open after the read timeout: not closed
      } catch (IOException e) {
        return true; // reset
      }
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          int n = sb.length();
          if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
          return sb.toString();
        }
        sb.append((char) c);
      }
      return sb.isEmpty() ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Opens a connection, sends one request head and reads its response. */
  static RawResponse raw(int port, String... headLines) throws IOException {
    try (RawConnection c = new RawConnection(port)) {
      return c.exchange(headLines);
    }
  }

  /**
   * Asserts an RFC 9457 problem response of Bulwark's own making: status, content type, the JSON
   * members status, title, detail and requestId, and no trace of a stack trace. Returns the body.
   */
  static JsonObject assertProblem(int status, int expected, String contentType, String body) {
    assertThat(status).as("status; body %s", body).isEqualTo(expected);
    assertThat(contentType).as("Content-Type").isNotNull();
    assertThat(contentType.split(";")[0].trim()).isEqualTo("application/problem+json");
    JsonObject json = new JsonObject(body);
    assertThat(json.getString("type")).isEqualTo("about:blank");
    assertThat(json.getInteger("status")).isEqualTo(expected);
    assertThat(json.getString("title")).isNotBlank();
    assertThat(json.getString("detail")).isNotBlank();
    assertThat(json.getString("requestId")).isNotBlank();
    assertThat(body)
        .doesNotContain("Exception")
        .doesNotContain("at bulwark.")
        .doesNotContain("at io.");
    return json;
  }

  static JsonObject assertProblem(java.net.http.HttpResponse<String> r, int expected) {
    JsonObject json =
        assertProblem(
            r.statusCode(),
            expected,
            r.headers().firstValue("Content-Type").orElse(null),
            r.body());
    assertThat(r.headers().firstValue("X-Request-Id")).hasValue(json.getString("requestId"));
    return json;
  }

  static JsonObject assertProblem(RawResponse r, int expected) {
    JsonObject json = assertProblem(r.status(), expected, r.header("Content-Type"), r.body());
    assertThat(r.header("X-Request-Id")).isEqualTo(json.getString("requestId"));
    return json;
  }

  static List<String> lowerNames(MultiMap headers) {
    return headers.names().stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
  }
}
