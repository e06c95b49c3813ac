// Package imagecache tests `devcache build`'s flow end to end: the real
// devcache-frontend image on the stack's buildkitd, a real devcache-proxy
// over an embedded registry, and containerd receiving the image.
package imagecache
