package lifecycle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/containerd/errdefs"

	"github.com/devcache/devcache/frontend/devcontainer"
)

// User environment probes (userEnvProbe): the shell the remote user's
// environment is read from before the lifecycle commands run.
const (
	ProbeNone                  = "none"
	ProbeLoginShell            = "loginShell"
	ProbeInteractiveShell      = "interactiveShell"
	ProbeLoginInteractiveShell = "loginInteractiveShell"
)

// Settings are the properties that shape the remote user's session, merged
// like the reference CLI merges them: the metadata label's entries in
// order, then the devcontainer.json; last wins (remoteEnv per variable).
type Settings struct {
	// RemoteEnv are NAME=value pairs, unsubstituted, in merge order.
	RemoteEnv []string
	// UserEnvProbe defaults to loginInteractiveShell.
	UserEnvProbe string
	// WaitFor is the hook after which the environment is ready (default
	// updateContentCommand); later hooks run in the background.
	WaitFor Hook
	// UpdateRemoteUserUID (default true) gives the remote user the UID and
	// GID of the workspace folder's owner.
	UpdateRemoteUserUID bool
}

// ReadSettings merges the settings of the label (may be "") and the
// devcontainer.json. A bad value in the devcontainer.json is an error at
// its position.
func ReadSettings(label string, cfg *devcontainer.Config) (Settings, error) {
	s := Settings{UserEnvProbe: ProbeLoginInteractiveShell, WaitFor: UpdateContent, UpdateRemoteUserUID: true}
	env := map[string]string{}
	var order []string
	apply := func(get func(string) (json.RawMessage, bool), where func(msg, prop string) error) error {
		if raw, ok := get("remoteEnv"); ok {
			var m map[string]*string
			if err := json.Unmarshal(raw, &m); err != nil {
				return where("remoteEnv: want an object of strings", "remoteEnv")
			}
			// JSON objects have no order: the file's order is kept by
			// its raw text; sort for determinism otherwise.
			for _, k := range objectKeys(raw) {
				v := m[k]
				if v == nil {
					delete(env, k)
					order = slices.DeleteFunc(order, func(o string) bool { return o == k })
					continue
				}
				if _, seen := env[k]; !seen {
					order = append(order, k)
				}
				env[k] = *v
			}
		}
		if raw, ok := get("userEnvProbe"); ok {
			var v string
			if json.Unmarshal(raw, &v) != nil || !slices.Contains([]string{ProbeNone, ProbeLoginShell, ProbeInteractiveShell, ProbeLoginInteractiveShell}, v) {
				return where(fmt.Sprintf("userEnvProbe: want one of none, loginShell, interactiveShell, loginInteractiveShell, got %s", raw), "userEnvProbe")
			}
			s.UserEnvProbe = v
		}
		if raw, ok := get("waitFor"); ok {
			var v string
			if json.Unmarshal(raw, &v) != nil || !slices.Contains(allHooks[1:], Hook(v)) {
				return where(fmt.Sprintf("waitFor: want one of onCreateCommand, updateContentCommand, postCreateCommand, postStartCommand, postAttachCommand, got %s", raw), "waitFor")
			}
			s.WaitFor = Hook(v)
		}
		if raw, ok := get("updateRemoteUserUID"); ok {
			var v bool
			if json.Unmarshal(raw, &v) != nil {
				return where(fmt.Sprintf("updateRemoteUserUID: want a boolean, got %s", raw), "updateRemoteUserUID")
			}
			s.UpdateRemoteUserUID = v
		}
		return nil
	}
	if label != "" {
		entries, err := metadataEntries(label)
		if err != nil {
			return Settings{}, err
		}
		for i, e := range entries {
			get := func(k string) (json.RawMessage, bool) {
				v, ok := e[k]
				if !ok {
					return nil, false
				}
				raw, _ := json.Marshal(v)
				return raw, true
			}
			where := func(msg, _ string) error {
				return fmt.Errorf("%s entry %d: %s: %w", MetadataLabel, i, msg, errdefs.ErrInvalidArgument)
			}
			if err := apply(get, where); err != nil {
				return Settings{}, err
			}
		}
	}
	if cfg != nil {
		where := func(msg, prop string) error {
			if cfg.Source != nil {
				return cfg.Source.ErrorAt(msg, prop)
			}
			return fmt.Errorf("%s: %w", msg, errdefs.ErrInvalidArgument)
		}
		if err := apply(cfg.Member, where); err != nil {
			return Settings{}, err
		}
	}
	for _, k := range order {
		s.RemoteEnv = append(s.RemoteEnv, k+"="+env[k])
	}
	return s, nil
}

// objectKeys returns a JSON object's keys in their written order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}
