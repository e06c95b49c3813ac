package builder

import (
	"testing"

	"github.com/moby/buildkit/frontend/dockerui"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"

	"github.com/devcache/devcache/frontend/cachekey"
)

func TestKeyPlatforms(t *testing.T) {
	amd := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	for name, tc := range map[string]struct {
		cfg  dockerui.Config
		want string
	}{
		"--platform names the target":           {dockerui.Config{BuildPlatforms: []ocispecs.Platform{amd}, TargetPlatforms: []ocispecs.Platform{arm}}, "linux/arm64"},
		"every target of a multi-platform build": {dockerui.Config{BuildPlatforms: []ocispecs.Platform{amd}, TargetPlatforms: []ocispecs.Platform{arm, amd}}, "linux/amd64,linux/arm64"},
		"no --platform: the worker's first":      {dockerui.Config{BuildPlatforms: []ocispecs.Platform{amd, armv7}}, "linux/amd64"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, cachekey.FormatPlatforms(keyPlatforms(&tc.cfg)))
		})
	}
}
