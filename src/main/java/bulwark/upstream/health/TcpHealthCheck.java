package bulwark.upstream.health;

import bulwark.config.ActiveCheckConfig;
import bulwark.upstream.target.Target;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/** "tcp": the check passes when a TCP connection opens within the timeout; nothing is sent. */
final class TcpHealthCheck implements HealthCheck {
  private final NetClient client;

  TcpHealthCheck(String upstream, ActiveCheckConfig config, Vertx vertx) {
    int timeout = (int) Math.max(1, config.timeout().toMillis());
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(timeout));
  }

  @Override
  public Future<CheckResult> check(Target target) {
    return client
        .connect(target.port(), target.host())
        .transform(
            ar -> {
              if (ar.failed()) {
                return Future.succeededFuture(
                    CheckResult.unreachable(HealthCheck.describe(ar.cause())));
              }
              // a reset before the close is no news for a check that already passed: handled, not
              // logged
              ar.result().exceptionHandler(e -> {}).close();
              return Future.succeededFuture(CheckResult.passed("connected", null));
            });
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }
}
