# syntax=docker/dockerfile:1
# Build with the Swift toolchain image, run on slim Debian with libxml2, libcurl and SQLite, as a non-root user.
FROM swift:6.3-bookworm AS build
WORKDIR /src
RUN apt-get update \
    && apt-get install -y --no-install-recommends libxml2-dev libsqlite3-dev liblz4-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product insertion-gateway --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/insertion-gateway" /out/insertion-gateway

FROM debian:bookworm-slim
# The runtime: the binary, the mappings, the libraries it links, and curl for the health check. No samples.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libxml2 libsqlite3-0 liblz4-1 libcurl4 curl ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/insertion-gateway --uid 10001 gateway \
    && mkdir -p /var/lib/insertion-gateway/data /etc/insertion-gateway \
    && chown 10001 /var/lib/insertion-gateway/data
COPY --from=build /out/insertion-gateway /usr/local/bin/insertion-gateway
COPY Mappings /opt/insertion-gateway/Mappings
# gateway.yaml is mounted at /etc/insertion-gateway/gateway.yaml (deploy/gateway.yaml is an example); the store,
# the spool, the refused files and the outbox live in the data volume.
ENV GATEWAY_MAPPINGS=/opt/insertion-gateway/Mappings \
    GATEWAY_CONFIG=/etc/insertion-gateway/gateway.yaml \
    GATEWAY_STORE=/var/lib/insertion-gateway/data/gateway.sqlite \
    TZ=Europe/Paris
VOLUME ["/var/lib/insertion-gateway/data"]
USER 10001
WORKDIR /var/lib/insertion-gateway
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["/usr/local/bin/insertion-gateway"]
# The service: the scheduled exchanges and the API, on every interface of the container.
CMD ["serve", "--listen", "0.0.0.0:8080"]
