package imagecache

import (
	"fmt"
	"os"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
)

// dockerConfigMu serialises this process's updates of a docker config.
var dockerConfigMu sync.Mutex

// DockerConfigAuth returns a Containerd.RemoteAuth that stores a pull's
// credentials in the docker config in dir (dir/config.json, replaced
// atomically), which devcache-snapshotter reads ($DOCKER_CONFIG) each time
// it resolves a registry: the layers it fetches lazily, in the background
// and on demand, authenticate as the pull did.
//
// The config holds one credential per registry host: a runner host serving
// several projects at once through one proxy hands the snapshotter the most
// recent one (see docs/snapshotter.md).
func DockerConfigAuth(dir string) func(*HostCredentials) error {
	return func(c *HostCredentials) error {
		dockerConfigMu.Lock()
		defer dockerConfigMu.Unlock()
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		cf, err := config.Load(dir)
		if err != nil {
			return fmt.Errorf("docker config in %s: %w", dir, err)
		}
		cf.AuthConfigs[c.Host] = types.AuthConfig{ServerAddress: c.Host, Username: c.Username, Password: c.Password}
		if err := cf.Save(); err != nil {
			return fmt.Errorf("docker config in %s: %w", dir, err)
		}
		return nil
	}
}
