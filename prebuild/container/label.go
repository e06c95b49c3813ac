package container

import (
	"context"
	"encoding/json"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/content"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Label reads one label of a pulled image's config ("" when unset).
func Label(ctx context.Context, img containerd.Image, key string) (string, error) {
	desc, err := img.Config(ctx)
	if err != nil {
		return "", err
	}
	b, err := content.ReadBlob(ctx, img.ContentStore(), desc)
	if err != nil {
		return "", fmt.Errorf("reading the config of %s: %w", img.Name(), err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", err
	}
	return cfg.Config.Labels[key], nil
}
