package contract

// Annotations on prebuild image manifests. devcache-snapshotter's capture
// writes the first group; a prebuild (prebuild/runner, prebuild/catalog)
// adds the second when it records the capture under its id.
const (
	// AnnotationEnvironmentClass is the environment class the prebuild ran on.
	AnnotationEnvironmentClass = "dev.devcache.prebuild.environment-class"
	// AnnotationSourceImage is the digest reference of the image the
	// prebuild's container was created from.
	AnnotationSourceImage = "dev.devcache.prebuild.source-image"
	// AnnotationConfigKey is the devcache cache key of the environment
	// configuration.
	AnnotationConfigKey = "dev.devcache.prebuild.config-key"
	// AnnotationCreated is the capture time (RFC 3339); the same as
	// org.opencontainers.image.created.
	AnnotationCreated = "org.opencontainers.image.created"
	// AnnotationLayerKind (a layer annotation) says what a prebuild layer
	// holds: "rootfs" (the container's changes) or "workspace" (a folder
	// outside the rootfs).
	AnnotationLayerKind = "dev.devcache.prebuild.layer"
	// AnnotationWorkspacePath (a layer annotation) is the absolute path a
	// workspace layer restores to.
	AnnotationWorkspacePath = "dev.devcache.prebuild.workspace-path"
)

// Annotations a prebuild adds to the capture's.
const (
	AnnotationID           = "dev.devcache.prebuild.id"
	AnnotationPhase        = "dev.devcache.prebuild.phase"
	AnnotationReason       = "dev.devcache.prebuild.reason"
	AnnotationCommit       = "dev.devcache.prebuild.commit"
	AnnotationTrigger      = "dev.devcache.prebuild.trigger"
	AnnotationUser         = "dev.devcache.prebuild.user"
	AnnotationSetupSeconds = "dev.devcache.prebuild.setup-seconds"
	// AnnotationParent and AnnotationGeneration describe an incremental
	// prebuild: the prebuild it was built on and how many incremental ones
	// are stacked on the last full one.
	AnnotationParent     = "dev.devcache.prebuild.parent"
	AnnotationGeneration = "dev.devcache.prebuild.generation"
	// AnnotationPhases is the phase history, JSON [{"phase","at"}].
	AnnotationPhases = "dev.devcache.prebuild.phases"
	// AnnotationLogs marks the layer of a failed prebuild that holds the
	// step logs (prebuild/logs/<step>.log).
	AnnotationLogs = "dev.devcache.prebuild.logs"
)
