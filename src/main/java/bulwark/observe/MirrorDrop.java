package bulwark.observe;

/**
 * Why a mirror copy of a request did not get an answer from the mirror upstream (the {@code reason}
 * label of bulwark_mirror_dropped_total). The client's own request is never affected.
 */
public enum MirrorDrop {
  /** The mirror upstream had routes[].mirror.maxInFlight copies in flight already: not sent. */
  CAP("cap"),
  /** The body is larger than routes[].mirror.maxBody: not sent, or abandoned mid-body. */
  BODY_TOO_LARGE("body_too_large"),
  /**
   * The mirror failed: its connection was refused or reset, or it closed before its response head;
   * or the client's request ended before its body was whole.
   */
  ERROR("error"),
  /** The mirror upstream had no usable target: not sent. */
  NO_TARGET("no_target"),
  /**
   * The mirror could not keep up: its write queue stayed full while the client's body ran more than
   * a bounded lag ahead, or it gave no response head (or connection) within its upstream's
   * timeouts.
   */
  SLOW("slow");

  /** The label value. */
  public final String label;

  MirrorDrop(String label) {
    this.label = label;
  }
}
