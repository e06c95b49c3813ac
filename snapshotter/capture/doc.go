// Package capture turns a prebuild container's filesystem changes into OCI
// layers and pushes them as a prebuild image.
//
// The rootfs layer is read from the container's overlay upper directory (the
// change set itself, whiteouts and opaque directories converted to OCI
// .wh. entries), never from a walk of the whole tree; each workspace folder
// that lives outside the rootfs becomes a layer of its own. Layers are
// written as eStargz (gzip members per file with a TOC) so restores can
// mount them lazily; the files the setup touched can be placed first with the
// prefetch landmark. The image is the source image's layers plus these,
// annotated with the environment class, source image, creation time and
// config key, and pushed with go-containerregistry: blobs first, the
// manifest (and so the tag) last, so an interrupted capture tags nothing.
package capture
