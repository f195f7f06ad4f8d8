# syntax=docker/dockerfile:1
#
# pgward as a container image: a static binary on a distroless base, run as
# a non-root user. The policy is read from /policy (mount a ConfigMap there;
# --policy defaults to the working directory).
#
#   docker build -t pgward --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -v "$PWD/examples/tuist:/policy:ro" -e DATABASE_URL pgward plan

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary that needs no libc in the final image.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pgward ./cmd/pgward

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pgward /usr/local/bin/pgward
WORKDIR /policy
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/pgward"]
CMD ["--help"]
