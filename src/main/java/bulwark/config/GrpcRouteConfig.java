package bulwark.config;

import java.util.List;

/** What a route knows of the gRPC methods it carries. */
public record GrpcRouteConfig(
    @Doc(
            value =
                "gRPC methods that are safe to call twice (idempotent), which the upstream's retry policy may retry as it retries GET: on connect failures, resets, timeouts, the HTTP statuses and the gRPC statuses (unavailable...) in retry.on. Each is /package.Service/Method, or a prefix ending with * (/package.Service/Get*, /package.Service/*), matched against the request path (the full method name). A gRPC status is retried only when it comes in a trailers-only response (the error is the response head, so nothing was relayed yet), and the request body only when it was kept whole (retry.maxBufferedBody). Other gRPC methods are POSTs, retried only on connect failures (or with retryNonIdempotent).",
            unit = "list of gRPC methods")
        List<GrpcMethod> safeMethods) {}
