package imagecache

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/require"
)

// TestDockerConfigAuth: what devcache writes is what the snapshotter's
// keychain (go-containerregistry's, over $DOCKER_CONFIG) reads back.
func TestDockerConfigAuth(t *testing.T) {
	dir := t.TempDir()
	auth := DockerConfigAuth(dir)
	require.NoError(t, auth(&HostCredentials{Host: "127.0.0.1:5766", Username: "u1", Password: "p1"}))
	require.NoError(t, auth(&HostCredentials{Host: "other:5000", Username: "o", Password: "q"}))
	require.NoError(t, auth(&HostCredentials{Host: "127.0.0.1:5766", Username: "u2", Password: "p2"}))

	t.Setenv("DOCKER_CONFIG", dir)
	reg, err := name.NewRegistry("127.0.0.1:5766")
	require.NoError(t, err)
	a, err := authn.DefaultKeychain.Resolve(reg)
	require.NoError(t, err)
	cfg, err := a.Authorization()
	require.NoError(t, err)
	require.Equal(t, "u2", cfg.Username)
	require.Equal(t, "p2", cfg.Password)
}
