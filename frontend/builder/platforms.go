package builder

import (
	"github.com/moby/buildkit/frontend/dockerui"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// keyPlatforms are the platforms the cache key names: the build's target
// platforms (--platform, every one of a multi-platform build), or, with
// none asked for, the one the images are built for, the worker's first
// (dockerui's BuildPlatforms are the worker's, never the targets).
func keyPlatforms(c *dockerui.Config) []ocispecs.Platform {
	if len(c.TargetPlatforms) > 0 {
		return c.TargetPlatforms
	}
	if len(c.BuildPlatforms) > 0 {
		return c.BuildPlatforms[:1]
	}
	return nil
}
