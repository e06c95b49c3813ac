package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/devcache/devcache/frontend/cachekey"
)

// platformFlag is --platform: the build's target platforms, part of the key.
type platformFlag struct{ specs []string }

func (p *platformFlag) register(f *pflag.FlagSet) {
	var def []string
	if v := os.Getenv("DEVCACHE_PLATFORM"); v != "" {
		def = strings.Split(v, ",")
	}
	f.StringSliceVar(&p.specs, "platform", def, "target platform(s) of the image, part of the cache key: linux/amd64, linux/arm64/v8; repeat or comma-separate for a multi-platform image ($DEVCACHE_PLATFORM; default: this host's, "+platforms.Format(platforms.DefaultSpec())+")")
}

// platforms are the flag's platforms, or this host's: always explicit, so
// the key and the build (whose default would be buildkitd's) agree.
func (p *platformFlag) platforms() ([]ocispecs.Platform, error) {
	ps, err := cachekey.ParsePlatforms(p.specs)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	if len(ps) == 0 {
		ps = []ocispecs.Platform{platforms.Normalize(platforms.DefaultSpec())}
	}
	return ps, nil
}

// lookupPlatform picks the image of a cached index whose labels are read:
// the first target platform.
func lookupPlatform(ps []ocispecs.Platform) *v1.Platform {
	if len(ps) == 0 {
		return nil
	}
	return &v1.Platform{OS: ps[0].OS, Architecture: ps[0].Architecture, Variant: ps[0].Variant}
}
