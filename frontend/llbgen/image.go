package llbgen

import (
	"encoding/json"
	"maps"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// cloneImage deep-copies the parts of an image config Generate changes.
func cloneImage(in *dockerspec.DockerOCIImage) *dockerspec.DockerOCIImage {
	if in == nil {
		return &dockerspec.DockerOCIImage{}
	}
	out := *in
	out.Config.Env = slices.Clone(in.Config.Env)
	out.Config.Labels = maps.Clone(in.Config.Labels)
	out.History = slices.Clone(in.History)
	return &out
}

func jsonString(raw json.RawMessage, s *string) bool {
	return json.Unmarshal(raw, s) == nil
}
