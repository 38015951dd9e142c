package bulwark.server;

import bulwark.proxy.Problem;
import bulwark.proxy.RequestHost;
import bulwark.proxy.RequestIds;
import bulwark.transport.FramingRules;

/**
 * The framing guard's rules are the proxy's: the same Host grammar, request ids and problem body.
 */
public enum ProxyFramingRules implements FramingRules {
  INSTANCE;

  @Override
  public String hostProblem(String host) {
    return RequestHost.check(host);
  }

  @Override
  public String newRequestId() {
    return RequestIds.next();
  }

  @Override
  public String problemContentType() {
    return Problem.CONTENT_TYPE;
  }

  @Override
  public String problemJson(int status, String title, String detail, String requestId) {
    return Problem.json(status, title, detail, requestId, null, null, null);
  }
}
