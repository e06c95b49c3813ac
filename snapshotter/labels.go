package snapshotter

// Labels containerd passes to snapshotters (core/snapshots and
// pkg/snapshotters). They are spelled out rather than imported so that the
// contract is visible in one place and works against containerd < 2.4, where
// LabelSnapshotRef is unexported.
const (
	// LabelSnapshotRef is set by the unpacker on the extraction Prepare: the
	// ChainID the snapshot will be committed as.
	LabelSnapshotRef = "containerd.io/snapshot.ref"
	// LabelCRIImageRef is the image reference (CRI, or the transfer service
	// with enable_remote_snapshot_annotations).
	LabelCRIImageRef = "containerd.io/snapshot/cri.image-ref"
	// LabelCRILayerDigest is the compressed digest of the layer being unpacked.
	LabelCRILayerDigest = "containerd.io/snapshot/cri.layer-digest"
	// LabelCRIImageLayers lists the image's layer digests, comma separated.
	LabelCRIImageLayers = "containerd.io/snapshot/cri.image-layers"
	// LabelTOCDigest is the eStargz TOC digest, copied from the layer
	// annotation of the same name.
	LabelTOCDigest = "containerd.io/snapshot/stargz/toc.digest"

	// LabelRemote marks a committed snapshot whose upper directory is
	// provided by a RemoteFS; its value names how the layer was restored
	// (RemoteLazy or RemoteFull; "true" from a RemoteFS that does not say).
	LabelRemote = "containerd.io/snapshot/devcache.remote"
	// LabelPrefetch, on a layer being pulled, is the digest reference of
	// the image's prefetch list (snapshotter/prefetch): the files the
	// environment read when it started, which a lazy mount reads first.
	LabelPrefetch = "containerd.io/snapshot/devcache.prefetch"
	// LabelRemoteReason, on a remote snapshot restored fully, says why it
	// was not restored lazily (no FUSE, no range requests, a failed mount).
	LabelRemoteReason = "containerd.io/snapshot/devcache.remote-reason"
)
