package bulwark.config;

import java.util.List;

public record ServerConfig(
    @Doc(
            value = "Address and port of the data listener.",
            unit = "host:port",
            dflt = "0.0.0.0:8080")
        String listen,
    @Doc(
            value =
                "Serve HTTP/2 cleartext (h2c) by prior knowledge and by Upgrade, besides HTTP/1.1.",
            dflt = "true")
        boolean http2,
    @Doc(
            value =
                "Peers (CIDR or address) whose X-Forwarded-* and Forwarded headers are kept and extended. From any other peer those headers are replaced.",
            unit = "CIDR list")
        List<String> trustedProxies,
    @Doc("Request size and time limits.") LimitsConfig limits,
    @Doc("Graceful shutdown.") ShutdownConfig shutdown,
    @Doc(
            value =
                "A change to the watched config file is applied once the file has stayed unchanged for this long, so a writer that writes the file in several steps (an editor, a config-management tool) is not applied half-written. SIGHUP reloads at once, without waiting. A file written elsewhere and renamed into place is complete at once: with such writers 0s is safe, and applies a change at the first poll that sees it (the file is polled every 50 ms). At most 1m. A reload may change it.",
            unit = "duration",
            dflt = "1s")
        java.time.Duration reloadSettle,
    @Doc(
            value =
                "TLS termination on the data listener (HTTPS; h2 through ALPN when http2 is true). Absent: plain HTTP.",
            section = true)
        TlsConfig tls,
    @Doc(
            value =
                "Request headers removed from every request before it goes upstream, whoever sent it: URL overrides that some frameworks (IIS, Symfony, Laminas) route by, which would bypass the route Bulwark matched. Names, case-insensitive. Bulwark also always removes a header whose name contains '_' and that, with '_' read as '-', names a header Bulwark sets or checks (X_Forwarded_For, Transfer_Encoding...): CGI and WSGI servers map both onto the same variable.",
            unit = "header list",
            dflt = "[X-Original-URL, X-Rewrite-URL]")
        List<String> stripHeaders,
    @Doc(
            value =
                "Client-address headers only a trusted proxy may send: removed from requests of any peer not in trustedProxies, kept from a trusted one. X-Real-IP is not listed: Bulwark always sets it (from a trusted proxy it is kept when present), like X-Forwarded-For.",
            unit = "header list",
            dflt =
                "[True-Client-IP, X-Client-IP, CF-Connecting-IP, Fastly-Client-IP, X-Cluster-Client-IP, X-Forwarded-Port]")
        List<String> proxyOnlyHeaders,
    @Doc(
            value =
                "How long the gateway warms itself up after it starts, before /health/ready turns 200: it sends requests through its own data listener, route table, filter chain, proxy, access-log and metrics code to a stub upstream it runs on loopback (never to a configured upstream), on every event loop, so the JIT has compiled the request path before a load balancer sends traffic. The time counts from the warm-up's first answer: the set-up before it (the stub, class loading in a cold JVM) may add up to 10s. It ends earlier, as a rule, once the JIT has settled (at most 50 ms of compilation in each of two seconds in a row): on a 2-core machine with the gateway on one core that took 18-25s, and a 10s warm-up left the first 10s after readiness at 0.5-0.8 of the warm throughput (docs/performance.md, Warm-up). Set it lower to be ready sooner with the first seconds slower. Full garbage collections then give back the warm-up's garbage, and the heap its load grew, before readiness turns 200. The listener accepts and serves clients meanwhile; only readiness waits. Progress is logged, and shown under components.warmup of /health/ready. A warm-up that fails (the stub cannot bind, say) is logged and the gateway gets ready anyway. 0s skips it. At most 1m. Read at start-up; a reload does not change it.",
            unit = "duration",
            dflt = "30s")
        java.time.Duration warmup) {}
