# syntax=docker/dockerfile:1
#
# mcpvet's container images, built and pushed by .github/workflows/release.yml:
#
#   docker build --target runtime -t ghcr.io/mcpvet/mcpvet:TAG .         # CLI and `mcpvet serve`; non-root
#   docker build --target action  -t ghcr.io/mcpvet/mcpvet:TAG-action .  # the GitHub Action (action.yml)
#
# Both hold one static binary (CGO_ENABLED=0; modernc.org/sqlite is pure Go) and git, which the engine uses to
# fetch upstream repositories and to read the workflow's checkout. `runtime` is the default target.

ARG GO_VERSION=1.26
ARG ALPINE_VERSION=3.22

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/mcpvet ./cmd/mcpvet

FROM alpine:${ALPINE_VERSION} AS base
RUN apk add --no-cache git ca-certificates
COPY --from=build /out/mcpvet /usr/local/bin/mcpvet
# npm provenance is verified against the Sigstore public-good trusted root, fetched through TUF.
ENV MCPVET_SIGSTORE_TRUSTED_ROOT=tuf
ENTRYPOINT ["/usr/local/bin/mcpvet"]

# The GitHub Action. GitHub runs Docker actions as the image's default user and documents that it must be root
# ("Docker actions must be run by the default Docker user (root)"): the runner's workspace, GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY files are owned by the runner's user, whatever its uid. So this target adds no USER. git
# refuses repositories owned by another user unless told they are safe; the only one read here is the
# workflow's checkout, mounted at /github/workspace (GIT_CONFIG_* counts as command-line configuration).
FROM base AS action
ENV GIT_CONFIG_COUNT=1 \
    GIT_CONFIG_KEY_0=safe.directory \
    GIT_CONFIG_VALUE_0=/github/workspace

# The CLI and the App server, as an unprivileged user. Last, so it is the default target.
FROM base AS runtime
RUN addgroup -S -g 65532 mcpvet \
    && adduser -S -D -H -u 65532 -G mcpvet -h /home/mcpvet mcpvet \
    && mkdir -p /home/mcpvet/.cache \
    && chown -R 65532:65532 /home/mcpvet
USER 65532:65532
ENV HOME=/home/mcpvet
WORKDIR /home/mcpvet
