package bulwark.admin;

import bulwark.config.ByteSize;
import bulwark.proxy.Problem;
import bulwark.remediation.Alert;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.util.List;

/**
 * POST /alerts, the one admin endpoint that acts: Alertmanager webhook notifications that turn
 * remediation actions on and off (see docs/observability-remediation.md). It takes its own
 * credential, remediation.webhookToken, whatever the admin tokens are, and reads at most {@link
 * #MAX_ALERTS_BODY} bytes of JSON.
 */
final class AlertsEndpoint {
  /** The largest Alertmanager notification POST /alerts reads. */
  static final int MAX_ALERTS_BODY = 1 << 20;

  private final GatewayView gateway;

  AlertsEndpoint(GatewayView gateway) {
    this.gateway = gateway;
  }

  /** Answers a request for /alerts, whatever its method. */
  void handle(HttpServerRequest req, String rid) {
    if (!req.method().name().equals("POST")) {
      req.response().putHeader("Allow", "POST");
      Problem.send(
          req.response(),
          405,
          "Method Not Allowed",
          "/alerts takes Alertmanager webhook notifications by POST",
          rid,
          req.path());
      return;
    }
    var rc = gateway.config().remediation();
    byte[] hook = AdminAccess.bearer(rc == null ? null : rc.webhookToken());
    if (hook == null || !MessageDigest.isEqual(AdminAccess.given(req), hook)) {
      req.response().putHeader("WWW-Authenticate", "Bearer realm=\"bulwark-alerts\"");
      Problem.send(
          req.response(),
          401,
          "Unauthorized",
          hook == null
              ? "POST /alerts is off: remediation.webhookToken is not set"
              : "POST /alerts needs the bearer token remediation.webhookToken",
          rid,
          req.path());
      return;
    }
    alerts(req, rid);
  }

  /**
   * POST /alerts: an Alertmanager webhook notification (JSON, at most {@link #MAX_ALERTS_BODY}
   * bytes) that turns remediation actions on or off; answers what it did.
   */
  private void alerts(HttpServerRequest req, String rid) {
    String ct = req.getHeader("Content-Type");
    if (ct == null || !ct.split(";")[0].trim().equalsIgnoreCase("application/json")) {
      Problem.send(
          req.response(),
          415,
          "Unsupported Media Type",
          "/alerts takes application/json",
          rid,
          req.path());
      return;
    }
    String cl = req.getHeader("Content-Length");
    if (cl != null
        && cl.chars().allMatch(Character::isDigit)
        && (cl.length() > 12 || Long.parseLong(cl) > MAX_ALERTS_BODY)) {
      AdminServer.answerAfterBody(req, () -> tooLarge(req, rid));
      return;
    }
    Buffer body = Buffer.buffer();
    boolean[] over = {false};
    req.handler(
        chunk -> {
          if (over[0]) return;
          if (body.length() + chunk.length() > MAX_ALERTS_BODY) {
            // answered at the end of the body: the client is still sending
            over[0] = true;
            AdminServer.answerAfterBody(req, () -> tooLarge(req, rid));
          } else {
            body.appendBuffer(chunk);
          }
        });
    req.endHandler(
        v -> {
          if (over[0]) return;
          List<Alert> alerts;
          try {
            Object parsed = Json.decodeValue(body);
            if (!(parsed instanceof JsonObject payload))
              throw new IllegalArgumentException("the body is not a JSON object");
            alerts = Alert.parse(payload);
          } catch (DecodeException e) {
            Problem.send(
                req.response(), 400, "Bad Request", "the body is not valid JSON", rid, req.path());
            return;
          } catch (IllegalArgumentException e) {
            Problem.send(
                req.response(),
                400,
                "Bad Request",
                "not an Alertmanager webhook payload: " + e.getMessage(),
                rid,
                req.path());
            return;
          }
          AdminServer.json(req, 200, gateway.remediation().onAlerts(alerts));
        });
  }

  private static void tooLarge(HttpServerRequest req, String rid) {
    req.response().putHeader("Connection", "close");
    Problem.send(
        req.response(),
        413,
        "Content Too Large",
        "/alerts takes at most " + ByteSize.human(MAX_ALERTS_BODY),
        rid,
        req.path());
  }
}
