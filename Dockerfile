# syntax=docker/dockerfile:1
# Parley as one static binary (CGO_ENABLED=0, the build .ci/run checks) on
# distroless, run as a non-root user. Object stores are opt-in, as with
# go build: docker build --build-arg TAGS=s3 . (or gcs, azure, cloud).

FROM golang:1.26 AS build
WORKDIR /src
COPY . .
ARG TAGS=""
# The cache mounts keep modules and compiled packages between builds; only
# the modules this build needs are downloaded (no `go mod download`, which
# would fetch every cloud SDK in go.mod).
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -tags "$TAGS" -o /parley ./server
RUN mkdir /data

# distroless has no shell, curl or wget: the health check uses a static busybox.
FROM busybox:1.37-musl AS busybox

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /parley /parley
COPY --from=busybox /bin/busybox /busybox
# A named volume mounted on /data starts with this owner: the nonroot user (65532).
COPY --from=build --chown=65532:65532 /data /data
VOLUME /data
ENV PARLEY_ADDR=:8080 \
    PARLEY_DATA_DIR=/data \
    DATABASE_URL=sqlite:///data/parley.db
EXPOSE 8080
USER 65532:65532
# Liveness only; /readyz also checks the database. Change the port here if
# PARLEY_ADDR moves it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/busybox", "wget", "-q", "-T", "3", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/parley"]
