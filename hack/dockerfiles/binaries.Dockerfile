# Exports the host-built static binaries (make build) as a local folder.
FROM scratch
COPY bin/ /
