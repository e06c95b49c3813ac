package cachekey

import (
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// FormatPlatforms is the platform input's value: every platform normalised
// as containerd's platforms package does (aarch64 and arm64/v8 are
// linux/arm64, x86_64 is amd64), formatted os/arch[/variant], deduplicated
// and sorted, comma-separated. No platform means this process's default.
func FormatPlatforms(ps []ocispecs.Platform) string {
	if len(ps) == 0 {
		ps = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, platforms.Format(platforms.Normalize(p)))
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), ",")
}

// ParsePlatforms reads platform specifiers as --platform takes them
// (repeatable, or comma-separated: "linux/amd64,linux/arm64/v8"); an
// unknown one is an errdefs.ErrInvalidArgument naming it. None gives nil.
func ParsePlatforms(specs []string) ([]ocispecs.Platform, error) {
	var out []ocispecs.Platform
	for _, s := range specs {
		for _, one := range strings.Split(s, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			p, err := platforms.Parse(one)
			if err != nil {
				return nil, fmt.Errorf("platform %q: %w: %w", one, err, errdefs.ErrInvalidArgument)
			}
			out = append(out, platforms.Normalize(p))
		}
	}
	return out, nil
}
