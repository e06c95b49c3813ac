package builder

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBuildOptions(t *testing.T) {
	opts, ignored := buildOptions([]string{
		"--build-arg", "A=1", "--build-arg=B=x=y", "--add-host=h1:10.0.0.1", "--add-host", "h2:10.0.0.2",
		"--network=host", "--target", "dev", "--progress=plain", "--squash",
	})
	assert.Equal(t, map[string]string{
		"build-arg:A": "1", "build-arg:B": "x=y", "add-hosts": "h1=10.0.0.1,h2=10.0.0.2",
		"force-network-mode": "host", "target": "dev",
	}, opts)
	assert.Equal(t, []string{"--progress=plain", "--squash"}, ignored)
}
