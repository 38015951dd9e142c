package bulwark.proxy;

/**
 * The states of an {@link UpstreamCall}. The request's way goes NEW, CONNECTING, SENDING,
 * AWAITING_HEAD, then STREAMING (or TUNNEL) and DONE; a failed try that is retried waits in BACKOFF
 * and connects again. DONE is reached from every state and is final.
 */
enum CallState {
  /** Created; not admitted yet (or refused: then DONE). */
  NEW,
  /** The attempt waits for a connection (pooled, new, or the next one freed). */
  CONNECTING,
  /** The request head is out; its body is being sent. An early response may still come. */
  SENDING,
  /** The whole request is out; the response timer runs. */
  AWAITING_HEAD,
  /** An attempt failed and its retry was admitted: it goes out when the backoff timer fires. */
  BACKOFF,
  /** The response head came and is being relayed: nothing can be retried from here. */
  STREAMING,
  /** An upgrade (101) went through: bytes flow both ways until either side closes. */
  TUNNEL,
  /** Answered, failed, or the client left: later events are ignored. */
  DONE;

  /** A try is out (or connecting) and no response head came yet. */
  boolean beforeHead() {
    return this == CONNECTING || this == SENDING || this == AWAITING_HEAD;
  }
}
