package bulwark.config;

public record HeadersConfig(
    @Doc(
            "Changes to the request before it goes upstream (applied after hop-by-hop removal and forwarding headers).")
        HeaderOps request,
    @Doc("Changes to the response before it goes to the client.") HeaderOps response) {}
