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
RUN apt-get update \
    && apt-get install -y --no-install-recommends libxml2 libsqlite3-0 liblz4-1 libcurl4 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/insertion-gateway --uid 10001 gateway
COPY --from=build /out/insertion-gateway /usr/local/bin/insertion-gateway
COPY Mappings /opt/insertion-gateway/Mappings
COPY Samples /opt/insertion-gateway/Samples
ENV GATEWAY_MAPPINGS=/opt/insertion-gateway/Mappings \
    GATEWAY_STORE=/var/lib/insertion-gateway/data/gateway.sqlite \
    TZ=Europe/Paris
USER 10001
WORKDIR /var/lib/insertion-gateway
ENTRYPOINT ["/usr/local/bin/insertion-gateway"]
CMD ["--help"]
