package builder

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/devcache/devcache/frontend/features"
)

// lockfileName is devcontainer-lock.json, or .devcontainer-lock.json next
// to a configuration whose name starts with a dot.
func lockfileName(filename string) string {
	if strings.HasPrefix(path.Base(filename), ".") {
		return "." + features.LockfileName
	}
	return features.LockfileName
}

// readLockfile reads the lockfile from the solved devcontainer.json folder
// if present; it is honoured (digests pinned) and checked, never written.
func readLockfile(ctx context.Context, folder client.Reference, p string) (*features.Lockfile, error) {
	if _, err := folder.StatFile(ctx, client.StatRequest{Path: p}); err != nil {
		return nil, nil // absent: no pins
	}
	dt, err := folder.ReadFile(ctx, client.ReadRequest{Filename: p})
	if err != nil {
		return nil, err
	}
	l, err := features.ParseLockfile(dt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return l, nil
}

// lockfileRequest is the subrequest (buildx --call lockfile) that returns
// the devcontainer-lock.json of the resolved Features instead of building.
const lockfileRequest = "frontend.lockfile"

// lockfileResult renders the lockfile as a subrequest result.
func lockfileResult(fs []*features.Feature) *client.Result {
	dt := features.NewLockfile(fs).Marshal()
	res := client.NewResult()
	res.AddMeta("result.json", dt)
	res.AddMeta("result.txt", dt)
	res.AddMeta("version", []byte("1.0.0"))
	return res
}
