package prebuild

// Manifest annotations a prebuild adds to the ones devcache-snapshotter's
// capture writes (snapshotter.Annotation*: environment class, source image,
// config key, creation time).
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

// Repository is where a project's prebuilds live, as clients name it.
func Repository(project string) string { return "projects/" + project + "/prebuild" }

// CaptureTag is the staging tag a prebuild's capture is pushed to before it
// is recorded under its id: registries that keep tags immutable (the devcache
// proxy) refuse to move a tag, so the recorded manifest (the capture's plus
// the prebuild annotations) gets a tag of its own.
func CaptureTag(id string) string { return id + ".capture" }
