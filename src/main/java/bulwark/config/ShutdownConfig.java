package bulwark.config;

public record ShutdownConfig(
    @Doc(
            value =
                "After SIGTERM/SIGINT, in-flight requests get this long to finish before the process exits.",
            unit = "duration",
            dflt = "30s")
        java.time.Duration gracePeriod,
    @Doc(
            value =
                "The first part of the grace period in which idle kept-alive HTTP/1.1 client connections stay open: a request that still arrives on one is served and answered with `Connection: close`, and the connection closes after it. At the end of the window the connections that are still idle are closed. HTTP/2 clients get GOAWAY at once and finish their open streams. The drain ends earlier when no client connection is left. 0s closes idle connections at once. A window longer than gracePeriod is cut to it.",
            unit = "duration",
            dflt = "5s")
        java.time.Duration drainWindow) {

  /** The drain window, cut to the grace period. */
  public java.time.Duration drainWindowCut() {
    return drainWindow.compareTo(gracePeriod) > 0 ? gracePeriod : drainWindow;
  }
}
