package imagecache

import (
	"context"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/internal/contract"
)

// Workspace locates a project's Dev Container configuration.
type Workspace struct {
	// Folder is the workspace folder (the build context).
	Folder string
	// Config is the devcontainer.json path.
	Config string
}

// Keyer computes the cache key of a workspace's configuration, resolving a
// directly referenced image and every Feature to their digests. config is
// the content of ws.Config, read once by the caller.
type Keyer interface {
	Inputs(ctx context.Context, ws Workspace, config []byte, vars Variables, creds []HostCredentials) (*cachekey.Inputs, error)
}

// Credentials issues registry credentials for (project, purpose).
type Credentials interface {
	Issue(ctx context.Context, project string, purpose contract.Purpose) (*HostCredentials, error)
}
