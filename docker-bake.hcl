// docker-bake.hcl builds devcache's images from binaries built on the host
// (make build ca-bundle): each image is FROM scratch + one static binary and
// Debian's CA bundle (/etc/ssl/certs/ca-certificates.crt), so bake needs
// no base image and works offline against the project's buildkitd through a
// buildx "remote" driver (hack/images sets it up).
//
//   make build ca-bundle && docker buildx bake                # all images, into the build cache
//   REGISTRY=127.0.0.1:5765/devcache docker buildx bake --push frontend

variable "REGISTRY" {
  default = "devcache"
}

variable "TAG" {
  default = "dev"
}

variable "VERSION" {
  default = "v0.0.0-dev"
}

group "default" {
  targets = ["frontend", "proxy", "snapshotter"]
}

target "_common" {
  context = "."
  args = {
    VERSION = VERSION
  }
  labels = {
    "org.opencontainers.image.source"  = "https://github.com/devcache/devcache"
    "org.opencontainers.image.version" = VERSION
  }
}

// binaries exports the host-built static binaries as a local folder.
target "binaries" {
  inherits   = ["_common"]
  dockerfile = "hack/dockerfiles/binaries.Dockerfile"
  output     = ["type=local,dest=_output"]
}

target "frontend" {
  inherits   = ["_common"]
  dockerfile = "cmd/devcache-frontend/Dockerfile"
  tags       = ["${REGISTRY}/frontend:${TAG}"]
}

target "proxy" {
  inherits   = ["_common"]
  dockerfile = "cmd/devcache-proxy/Dockerfile"
  tags       = ["${REGISTRY}/proxy:${TAG}"]
}

target "snapshotter" {
  inherits   = ["_common"]
  dockerfile = "cmd/devcache-snapshotter/Dockerfile"
  tags       = ["${REGISTRY}/snapshotter:${TAG}"]
}
