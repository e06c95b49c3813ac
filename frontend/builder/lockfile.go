package builder

import (
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/devcache/devcache/frontend/features"
)

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
