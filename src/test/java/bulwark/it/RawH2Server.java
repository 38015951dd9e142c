package bulwark.it;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2 (h2c, prior knowledge) server on plain sockets that speaks just enough of the protocol
 * to answer GETs, and can misbehave on purpose: stop answering PINGs, hold responses, send a DATA
 * frame on stream 0, a header block HPACK cannot decode, or a response head over the client's
 * limit. No Netty on this side, so it cannot leak buffers of its own; one thread per connection.
 */
final class RawH2Server implements AutoCloseable {
  /** What the server does with each request (a HEADERS frame from the client). */
  enum Mode {
    /** 200 with the body "ok". */
    OK,
    /** Nothing until {@link #release()}: then 200 "ok" on every held stream. */
    HOLD,
    /** A DATA frame on stream 0: a connection error (PROTOCOL_ERROR) for the client. */
    DATA_ON_STREAM_0,
    /** A HEADERS frame whose block is not valid HPACK: a connection error (COMPRESSION_ERROR). */
    BAD_HPACK,
    /** 200 with a header {@code x-big} of {@link #headBytes} bytes, and the body "ok". */
    BIG_HEAD
  }

  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ServerSocket socket;
  private final Mode mode;
  private final List<Conn> conns = new CopyOnWriteArrayList<>();

  /** Connections accepted, and those that ended (closed by either side). */
  final AtomicInteger accepted = new AtomicInteger();

  final AtomicInteger ended = new AtomicInteger();

  /** PINGs received (acks excluded), and requests (HEADERS frames) received. */
  final AtomicInteger pings = new AtomicInteger();

  final AtomicInteger requests = new AtomicInteger();

  /** Whether PINGs are answered. */
  volatile boolean ackPings = true;

  /** The size of BIG_HEAD's header value. */
  private final int headBytes;

  RawH2Server(Mode mode) throws IOException {
    this(mode, 12_000);
  }

  RawH2Server(Mode mode, int headBytes) throws IOException {
    this.mode = mode;
    this.headBytes = headBytes;
    this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "raw-h2-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  /** Answers every held stream (HOLD) with 200 "ok". */
  void release() throws IOException {
    for (Conn c : conns) c.release();
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        accepted.incrementAndGet();
        Conn c = new Conn(s);
        conns.add(c);
        Thread t = new Thread(c::run, "raw-h2-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Conn c : conns) c.socket.close();
  }

  private final class Conn {
    final Socket socket;
    OutputStream out;
    final List<Integer> held = new ArrayList<>();

    Conn(Socket socket) {
      this.socket = socket;
    }

    void run() {
      try (socket) {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        out = new BufferedOutputStream(socket.getOutputStream());
        byte[] preface = new byte[PREFACE.length];
        in.readFully(preface);
        frame(4, 0, 0, new byte[0]); // our SETTINGS: all defaults
        while (true) {
          int len = in.readUnsignedShort() << 8 | in.readUnsignedByte();
          int type = in.readUnsignedByte();
          int flags = in.readUnsignedByte();
          int stream = in.readInt() & 0x7fffffff;
          byte[] payload = new byte[len];
          in.readFully(payload);
          switch (type) {
            case 4 -> { // SETTINGS: acked
              if ((flags & 1) == 0) frame(4, 1, 0, new byte[0]);
            }
            case 6 -> { // PING
              if ((flags & 1) == 0) {
                pings.incrementAndGet();
                if (ackPings) frame(6, 1, 0, payload);
              }
            }
            case 1 -> { // HEADERS: a request
              requests.incrementAndGet();
              respond(stream);
            }
            default -> {} // WINDOW_UPDATE, DATA, RST_STREAM, GOAWAY, PRIORITY: ignored
          }
        }
      } catch (IOException e) {
        // the connection ended
      } finally {
        ended.incrementAndGet();
        conns.remove(this);
      }
    }

    private void respond(int stream) throws IOException {
      switch (mode) {
        case OK -> ok(stream);
        case HOLD -> {
          synchronized (this) {
            held.add(stream);
          }
        }
        case DATA_ON_STREAM_0 -> frame(0, 0, 0, "x".getBytes(StandardCharsets.US_ASCII));
        // 0xff...: an indexed header whose index overflows the integer HPACK allows
        case BAD_HPACK ->
            frame(1, 4, stream, new byte[] {(byte) 0x88, -1, -1, -1, -1, -1, -1, -1, 0x7f});
        case BIG_HEAD -> {
          byte[] name = "x-big".getBytes(StandardCharsets.US_ASCII);
          byte[] value = "v".repeat(headBytes).getBytes(StandardCharsets.US_ASCII);
          java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
          b.write(0x88); // :status 200 (static table)
          b.write(0x00); // a literal header, not indexed, with a new name
          hpackInt(b, name.length);
          b.write(name);
          hpackInt(b, value.length);
          b.write(value);
          frame(1, 4, stream, b.toByteArray());
          frame(0, 1, stream, "ok".getBytes(StandardCharsets.US_ASCII));
        }
      }
    }

    private void ok(int stream) throws IOException {
      frame(1, 4, stream, new byte[] {(byte) 0x88}); // :status 200, END_HEADERS
      frame(0, 1, stream, "ok".getBytes(StandardCharsets.US_ASCII)); // END_STREAM
    }

    synchronized void release() throws IOException {
      for (int s : held) ok(s);
      held.clear();
    }

    /** Writes one frame (and flushes it): from the connection's thread or the test's. */
    synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
      int n = payload.length;
      out.write(
          new byte[] {(byte) (n >> 16), (byte) (n >> 8), (byte) n, (byte) type, (byte) flags});
      out.write(
          new byte[] {
            (byte) (stream >> 24), (byte) (stream >> 16), (byte) (stream >> 8), (byte) stream
          });
      out.write(payload);
      out.flush();
    }
  }

  /** An HPACK integer with a 7-bit prefix (the H bit 0: not Huffman-coded). */
  private static void hpackInt(java.io.ByteArrayOutputStream b, int v) {
    if (v < 127) {
      b.write(v);
      return;
    }
    b.write(127);
    v -= 127;
    while (v >= 128) {
      b.write(v % 128 + 128);
      v /= 128;
    }
    b.write(v);
  }
}
