package bulwark.proxy;

/**
 * What an upstream's HTTP/2 connections report to the observers (metrics), by target key; called on
 * the connection's event loop.
 */
interface ConnectionEvents {
  ConnectionEvents NONE =
      new ConnectionEvents() {
        @Override
        public void alpnRefused(String target) {}

        @Override
        public void pingTimedOut(String target) {}
      };

  /** A connection failed: the target did not offer h2 in TLS ALPN. */
  void alpnRefused(String target);

  /** A connection was closed: its PING was not answered in time. */
  void pingTimedOut(String target);
}
