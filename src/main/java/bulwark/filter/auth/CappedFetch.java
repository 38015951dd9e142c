package bulwark.filter.auth;

import bulwark.config.ByteSize;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.RequestOptions;

/**
 * One outbound call of the auth filters (a JWKS fetch, a token introspection): the answer must be a
 * 200 within {@code timeoutMillis}, its body no larger than {@code maxBytes} (past it the
 * connection is closed). Never blocks; completes on the caller's context.
 */
final class CappedFetch {
  private CappedFetch() {}

  static Future<Buffer> fetch(
      Vertx vertx,
      HttpClient client,
      RequestOptions o,
      Buffer body,
      int maxBytes,
      long timeoutMillis) {
    Promise<Buffer> result = Promise.promise();
    long timer =
        vertx.setTimer(
            timeoutMillis, t -> result.tryFail("timed out after " + timeoutMillis + "ms"));
    client
        .request(o)
        .compose(
            req ->
                (body == null ? req.send() : req.send(body))
                    .compose(
                        resp -> {
                          if (resp.statusCode() != 200) {
                            resp.end();
                            return Future.failedFuture("status " + resp.statusCode());
                          }
                          Promise<Buffer> answer = Promise.promise();
                          Buffer buf = Buffer.buffer();
                          resp.handler(
                              chunk -> {
                                if (buf.length() + chunk.length() > maxBytes) {
                                  answer.tryFail("answer larger than " + ByteSize.human(maxBytes));
                                  req.connection().close();
                                } else {
                                  buf.appendBuffer(chunk);
                                }
                              });
                          resp.exceptionHandler(answer::tryFail);
                          resp.endHandler(v -> answer.tryComplete(buf));
                          return answer.future();
                        }))
        .onComplete(
            ar -> {
              vertx.cancelTimer(timer);
              if (ar.succeeded()) result.tryComplete(ar.result());
              else result.tryFail(ar.cause());
            });
    return result.future();
  }
}
