package bulwark.filter.auth;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** A shared future may complete on another event loop; a request's work must go on on its own. */
final class OnContext {
  private OnContext() {}

  static <T> Future<T> back(Future<T> f, Context ctx) {
    if (f.isComplete() || ctx == null) return f;
    Promise<T> p = Promise.promise();
    f.onComplete(
        ar -> {
          if (Vertx.currentContext() == ctx) p.handle(ar);
          else ctx.runOnContext(v -> p.handle(ar));
        });
    return p.future();
  }
}
