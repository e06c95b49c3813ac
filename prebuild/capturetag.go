package prebuild

// CaptureTag is the staging tag a prebuild's capture is pushed to before it
// is recorded under its id: registries that keep tags immutable (the devcache
// proxy) refuse to move a tag, so the recorded manifest (the capture's plus
// the prebuild annotations) gets a tag of its own.
func CaptureTag(id string) string { return id + ".capture" }
