package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
)

// LabelKey is the image label that carries the metadata.
const LabelKey = "devcontainer.metadata"

// MaxLabelSize is the largest label value written (1 MiB): image configs
// are read whole by every client, and registries cap their size.
const MaxLabelSize = 1 << 20

// Entry is one element of the label array: members in order.
type Entry []devcontainer.Member

// Properties of a Feature kept in its entry, in the CLI's order.
var featureProperties = []string{
	"onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand",
	"init", "privileged", "capAdd", "securityOpt", "entrypoint", "mounts", "customizations",
}

// Properties of devcontainer.json kept in its entry, in the CLI's order
// (pickConfigProperties).
var configProperties = []string{
	"onCreateCommand", "updateContentCommand", "postCreateCommand", "postStartCommand", "postAttachCommand",
	"waitFor", "customizations", "mounts", "containerEnv", "containerUser", "init", "privileged", "capAdd",
	"securityOpt", "remoteUser", "userEnvProbe", "remoteEnv", "overrideCommand", "portsAttributes",
	"otherPortsAttributes", "forwardPorts", "shutdownAction", "updateRemoteUserUID", "hostRequirements",
}

func pick(members []devcontainer.Member, props []string) Entry {
	var e Entry
	for _, p := range props {
		for _, m := range members {
			if m.Name == p {
				e = append(e, m)
			}
		}
	}
	return e
}

// ForFeature is the entry of an installed Feature.
func ForFeature(f *features.Feature) Entry {
	id, _ := json.Marshal(f.Ref.UserID)
	return append(Entry{{Name: "id", Value: id}}, pick(f.Metadata.Members, featureProperties)...)
}

// ForConfig is the devcontainer.json entry (raw values, unsubstituted).
func ForConfig(c *devcontainer.Config) Entry {
	return pick(c.Members, configProperties)
}

// Parse reads a label value: an array of objects, or a single object. An
// invalid label yields no entries, as in the CLI (which only logs it).
func Parse(label string) []Entry {
	if label == "" {
		return nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(label), &arr); err != nil {
		arr = []json.RawMessage{json.RawMessage(label)}
	}
	var out []Entry
	for _, raw := range arr {
		src, err := devcontainer.ParseSource(LabelKey, raw)
		if err != nil {
			continue
		}
		if ms := src.Members(); ms != nil {
			out = append(out, Entry(ms))
		}
	}
	return out
}

// MarshalEntry serializes an entry like JSON.stringify.
func MarshalEntry(e Entry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range e {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, m.Name)
		b.WriteByte(':')
		v, err := Stringify(m.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", LabelKey, m.Name, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Label renders the label value for base entries, Feature entries in
// install order and the configuration's entry. Empty entries are dropped;
// with no entries at all the label is "" (the CLI writes no LABEL).
func Label(base []Entry, fs []*features.Feature, c *devcontainer.Config) (string, error) {
	all := append([]Entry{}, base...)
	for _, f := range fs {
		all = append(all, ForFeature(f))
	}
	all = append(all, ForConfig(c))
	var b bytes.Buffer
	n := 0
	for _, e := range all {
		if len(e) == 0 {
			continue
		}
		s, err := MarshalEntry(e)
		if err != nil {
			return "", err
		}
		if n == 0 {
			b.WriteString("[ ")
		} else {
			b.WriteString(", ")
		}
		b.Write(s)
		n++
	}
	if n == 0 {
		return "", nil
	}
	b.WriteString(" ]")
	if b.Len() > MaxLabelSize {
		return "", fmt.Errorf("the %s label would be %d bytes, over the limit of %d (1 MiB): shorten customizations or lifecycle commands in devcontainer.json or its Features: %w", LabelKey, b.Len(), MaxLabelSize, errdefs.ErrInvalidArgument)
	}
	return b.String(), nil
}
