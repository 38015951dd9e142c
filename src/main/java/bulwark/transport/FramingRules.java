package bulwark.transport;

/**
 * What the framing guard takes from the HTTP layer above it (a port: implemented by the server,
 * which hands it the proxy's own rules): the Host grammar, so the guard refuses exactly what the
 * proxy would, and the id and problem+json body of the refusal it answers with itself.
 */
public interface FramingRules {
  /**
   * Why {@code host} (a Host value without the whitespace around it) is refused, or null when it is
   * a plain {@code host[:port]}.
   */
  String hostProblem(String host);

  /** A new request id for a refusal. */
  String newRequestId();

  /** The media type of {@link #problemJson}. */
  String problemContentType();

  /** The problem+json body of a refusal. */
  String problemJson(int status, String title, String detail, String requestId);
}
