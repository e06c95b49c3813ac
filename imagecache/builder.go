package imagecache

import (
	"context"
	"time"
)

// Builder builds a Dev Container image.
type Builder interface {
	Build(ctx context.Context, req BuildRequest) (*BuildResult, error)
}

// BuildRequest is one build of a devcontainer.json.
type BuildRequest struct {
	// ContextDir is the build context (the workspace folder).
	ContextDir string
	// ConfigDir is the folder that holds the configuration file.
	ConfigDir string
	// ConfigFile is the configuration's file name inside ConfigDir.
	ConfigFile string
	// Push, when set, is the reference the image is pushed to.
	Push string
	// Auth answers registry credentials for the build (the proxy's,
	// renewed while the build runs); nil builds anonymously.
	Auth CredentialSource
	// FrontendOpts are extra frontend options (build-arg:…, label:…).
	FrontendOpts map[string]string
	// CacheExport, when set, is where the build cache (mode=max) is pushed:
	// a write-once cache manifest beside the image.
	CacheExport string
	// CacheImports are cache manifests whose steps the build may reuse.
	CacheImports []string
	// ExportOCI, when set, receives the image as an OCI archive (for a
	// runtime to import an image that is not pushed).
	ExportOCI func(ctx context.Context) (WriteCloser, error)
}

// WriteCloser is what ExportOCI streams the archive into.
type WriteCloser interface {
	Write(p []byte) (int, error)
	Close() error
}

// HostCredentials are the credentials for one registry host.
type HostCredentials struct {
	Host     string
	Username string
	Password string
	// ExpiresAt is when the credential ends (zero: unknown, never renewed).
	ExpiresAt time.Time
}

// BuildResult describes a finished build.
type BuildResult struct {
	// Digest is the image manifest (or index) digest.
	Digest string
	// Duration is how long the build took, as recorded in BuildSecondsLabel.
	Duration time.Duration
	// Pushed reports whether the image was pushed to BuildRequest.Push.
	Pushed bool
	// StepsRun and StepsReused count the build's steps that ran and the
	// ones BuildKit reused from its cache (local or imported).
	StepsRun, StepsReused int
}
