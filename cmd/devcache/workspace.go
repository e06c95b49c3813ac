package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/devcache/devcache/imagecache"
)

// workspaceFlags are named as the reference Dev Containers CLI names them.
type workspaceFlags struct {
	folder string
	config string
}

func (w *workspaceFlags) register(f *pflag.FlagSet) {
	f.StringVar(&w.folder, "workspace-folder", ".", "the workspace folder (the build context)")
	f.StringVar(&w.config, "config", "", "devcontainer.json path (default: .devcontainer/devcontainer.json, then .devcontainer.json, in the workspace folder)")
}

// resolve finds the configuration as the reference CLI does.
func (w *workspaceFlags) resolve() (imagecache.Workspace, error) {
	folder, err := filepath.Abs(w.folder)
	if err != nil {
		return imagecache.Workspace{}, err
	}
	if st, err := os.Stat(folder); err != nil || !st.IsDir() {
		return imagecache.Workspace{}, fmt.Errorf("workspace folder %s is not a directory", folder)
	}
	if w.config != "" {
		cfg, err := filepath.Abs(w.config)
		if err != nil {
			return imagecache.Workspace{}, err
		}
		if _, err := os.Stat(cfg); err != nil {
			return imagecache.Workspace{}, fmt.Errorf("--config: %w", err)
		}
		return imagecache.Workspace{Folder: folder, Config: cfg}, nil
	}
	for _, rel := range []string{".devcontainer/devcontainer.json", ".devcontainer.json"} {
		p := filepath.Join(folder, rel)
		if _, err := os.Stat(p); err == nil {
			return imagecache.Workspace{Folder: folder, Config: p}, nil
		}
	}
	return imagecache.Workspace{}, fmt.Errorf("no devcontainer.json in %s (looked for .devcontainer/devcontainer.json and .devcontainer.json; use --config)", folder)
}
