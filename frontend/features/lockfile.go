package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
)

// LockfileName is the lockfile next to devcontainer.json (".devcontainer-lock.json"
// when the configuration file name starts with a dot).
const LockfileName = "devcontainer-lock.json"

// LockfileFor is the lockfile's name next to the configuration file
// config (a slash path or a base name): devcontainer-lock.json, or
// .devcontainer-lock.json when the configuration's name starts with a dot
// (.devcontainer.json), as the reference CLI names it.
func LockfileFor(config string) string {
	if strings.HasPrefix(path.Base(config), ".") {
		return "." + LockfileName
	}
	return LockfileName
}

// Lockfile is devcontainer-lock.json.
type Lockfile struct {
	Features map[string]Locked `json:"features"`

	// name is the file's name as read (ParseLockfileNamed), for messages.
	name string
}

// Locked pins one Feature.
type Locked struct {
	Version   string   `json:"version"`
	Resolved  string   `json:"resolved"`
	Integrity string   `json:"integrity"`
	DependsOn []string `json:"dependsOn,omitempty"`
}

// ParseLockfile parses a lockfile (strict JSON, as the CLI reads it). An
// empty file is an empty lockfile.
func ParseLockfile(data []byte) (*Lockfile, error) {
	return ParseLockfileNamed(LockfileName, data)
}

// ParseLockfileNamed is ParseLockfile for the file name (as LockfileFor
// gives it), which its errors and the pins' mismatch errors name.
func ParseLockfileNamed(name string, data []byte) (*Lockfile, error) {
	l := &Lockfile{Features: map[string]Locked{}, name: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return l, nil
	}
	if err := json.Unmarshal(data, l); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, err, cerrdefs.ErrInvalidArgument)
	}
	if l.Features == nil {
		l.Features = map[string]Locked{}
	}
	return l, nil
}

// Pin returns the locked entry for a Feature reference as written.
func (l *Lockfile) Pin(userID string) (Locked, bool) {
	if l == nil {
		return Locked{}, false
	}
	e, ok := l.Features[userID]
	return e, ok
}

// Name is the lockfile's name: as read, or LockfileName.
func (l *Lockfile) Name() string {
	if l == nil || l.name == "" {
		return LockfileName
	}
	return l.name
}

// Check returns an error (errdefs.ErrFailedPrecondition) when f resolved
// to a different digest than the lockfile pins.
func (l *Lockfile) Check(f *Feature) error {
	e, ok := l.Pin(f.Ref.UserID)
	if !ok || f.Ref.Type == Local {
		return nil
	}
	if e.Integrity != f.Digest.String() {
		return fmt.Errorf("feature %q: digest %s does not match %s pinned in %s: %w",
			f.Ref.UserID, f.Digest, e.Integrity, l.Name(), cerrdefs.ErrFailedPrecondition)
	}
	return nil
}

// NewLockfile records the OCI and tarball Features of an install order.
func NewLockfile(fs []*Feature) *Lockfile {
	l := &Lockfile{Features: map[string]Locked{}}
	for _, f := range fs {
		if f.Ref.Type == Local {
			continue
		}
		e := Locked{Version: f.Metadata.Version, Resolved: f.Canonical, Integrity: f.Digest.String()}
		for _, d := range f.Metadata.DependsOn {
			e.DependsOn = append(e.DependsOn, d.Name)
		}
		slices.Sort(e.DependsOn)
		l.Features[f.Ref.UserID] = e
	}
	return l
}

// Marshal renders the lockfile as the CLI writes it: keys sorted, two-space
// indentation, no HTML escaping (JSON.stringify's), trailing newline.
func (l *Lockfile) Marshal() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(l) // maps of strings always encode
	return b.Bytes()
}
