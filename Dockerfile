# Build: a static binary (no cgo), with the knowledge base and time zone
# data embedded, so the runtime image needs nothing else.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/communitybot ./cmd/communitybot

# Run: distroless static, as a non-root user. CA certificates are included
# for https://api.telegram.org and rediss://.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/communitybot /communitybot
USER nonroot:nonroot
EXPOSE 8080 9090
ENTRYPOINT ["/communitybot"]
