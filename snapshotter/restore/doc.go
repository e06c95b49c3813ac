// Package restore provides the snapshotter.RemoteFS implementations that
// restore prebuild layers for the overlay snapshotter's remote-snapshot
// handshake:
//
//   - Full downloads the layer blob, verifies it against its digest and
//     extracts it (overlayfs whiteouts) before the snapshot is committed;
//   - Lazy mounts eStargz layers through stargz-snapshotter's filesystem over
//     FUSE, prefetching the prioritized files (up to the prefetch landmark)
//     before the mount returns and fetching the rest in the background;
//     chunks are verified against the TOC, the TOC against its digest;
//   - Auto uses Lazy when /dev/fuse can be opened and the registry answers
//     range requests, and Full otherwise.
//
// All three serve only layers that carry the eStargz TOC digest annotation
// (devcache prebuild layers); for any other layer they return
// errdefs.ErrNotImplemented and containerd pulls and applies it as usual.
package restore
