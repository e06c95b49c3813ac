package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/snapshotter/capture"
)

type captureOptions struct {
	containerdAddress, namespace, container string
	pause                                   bool
	pluginAddress, snapshotKey              string
	upperdir                                string
	lowerdirs                               []string
	opts                                    capture.Options
	workspaces                              []string
	prioritizedFile                         string
	username, passwordEnv                   string
	// legacyInsecure is the deprecated --insecure: the base's and the
	// target's registries over plain HTTP.
	legacyInsecure bool
}

func newCaptureCommand() *cobra.Command {
	var o captureOptions
	cmd := &cobra.Command{
		Use:   "capture --target REF (--container ID | --snapshot-key KEY | --upperdir DIR) [flags]",
		Short: "capture a container's filesystem changes as a prebuild image and push it",
		Long: `capture reads the container's overlay upper directory (its changes, not the
whole tree), writes them as eStargz layers (--rootfs-layers, compressed in
parallel), adds one layer per --workspace folder, appends them to the
container's image and pushes the result to
--target, annotated with the environment class, source image, creation time
and config key. A running container is paused while its filesystem is read
(--pause); stopping it first is better still.

The manifest is pushed last: a capture that fails or is killed leaves the
tag (and the previous prebuild it points to) untouched.

Credentials come from --username and the environment variable named by
--password-env, or else from the docker config ($DOCKER_CONFIG).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCapture(cmd.Context(), cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.containerdAddress, "containerd-address", "/run/containerd/containerd.sock", "containerd socket (with --container)")
	f.StringVar(&o.namespace, "namespace", "default", "containerd namespace (with --container)")
	f.StringVar(&o.container, "container", "", "containerd container whose snapshot to capture")
	f.BoolVar(&o.pause, "pause", true, "pause the container's running task while capturing (with --container)")
	f.StringVar(&o.pluginAddress, "address", "/run/devcache-snapshotter/devcache-snapshotter.sock", "this plugin's socket (with --snapshot-key)")
	f.StringVar(&o.snapshotKey, "snapshot-key", "", "active snapshot key as the plugin knows it (e.g. default/12/<container>)")
	f.StringVar(&o.upperdir, "upperdir", "", "overlay upper directory to capture directly")
	f.StringSliceVar(&o.lowerdirs, "lowerdir", nil, "lower directories of --upperdir, top first")
	f.StringVar(&o.opts.Base, "base", "", "image the container was created from (default: the container's image)")
	f.StringVar(&o.opts.Target, "target", "", "reference to push the prebuild to, e.g. REGISTRY/projects/<project>/prebuild:<tag>")
	f.StringArrayVar(&o.workspaces, "workspace", nil, "PATH=DIR: capture host folder DIR as a layer restoring to PATH (repeatable)")
	f.StringVar(&o.prioritizedFile, "prioritized-files", "", "file listing paths (one per line) the setup read, prefetched first on restore")
	f.StringVar(&o.opts.EnvironmentClass, "environment-class", "", "environment class annotation")
	f.StringVar(&o.opts.ConfigKey, "config-key", "", "config key annotation")
	f.IntVar(&o.opts.GzipLevel, "gzip-level", 1, "eStargz gzip level (1 fastest .. 9 smallest)")
	f.IntVar(&o.opts.RootfsLayers, "rootfs-layers", 0, "split the rootfs changes over this many layers, compressed in parallel (default: number of CPUs, at most 4)")
	f.StringSliceVar((*[]string)(&o.opts.Insecure), "insecure-registry", nil, "registry host[:port] reached over plain HTTP besides loopback, localhost and *.localhost (repeatable)")
	f.BoolVar(&o.legacyInsecure, "insecure", false, "reach the base's and the target's registries over plain HTTP")
	_ = f.MarkDeprecated("insecure", "use --insecure-registry HOST")
	f.StringVar(&o.username, "username", "", "registry user name")
	f.StringVar(&o.passwordEnv, "password-env", "DEVCACHE_REGISTRY_PASSWORD", "environment variable holding the registry password or token")
	f.StringVar(&o.opts.TempDir, "tmpdir", "", "directory for layer blobs while they are built")
	_ = cmd.MarkFlagRequired("target")
	return cmd
}

func runCapture(ctx context.Context, cmd *cobra.Command, o captureOptions) (err error) {
	src, base, release, err := resolveSource(ctx, o)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, release()) }()
	if o.opts.Base == "" {
		o.opts.Base = base
	}
	if o.opts.Base == "" {
		return fmt.Errorf("--base is required without --container")
	}
	if o.legacyInsecure {
		for _, r := range []string{o.opts.Base, o.opts.Target} {
			if ref, err := name.ParseReference(r); err == nil {
				o.opts.Insecure = append(o.opts.Insecure, ref.Context().RegistryStr())
			}
		}
	}
	for _, w := range o.workspaces {
		p, d, ok := strings.Cut(w, "=")
		if !ok {
			return fmt.Errorf("--workspace %q: want PATH=DIR", w)
		}
		o.opts.Workspaces = append(o.opts.Workspaces, capture.Workspace{Path: p, Dir: d})
	}
	if o.prioritizedFile != "" {
		if o.opts.PrioritizedFiles, err = readLines(o.prioritizedFile); err != nil {
			return err
		}
	}
	if o.username != "" {
		o.opts.Remote = append(o.opts.Remote, remote.WithAuth(&authn.Basic{Username: o.username, Password: os.Getenv(o.passwordEnv)}))
	} else {
		o.opts.Remote = append(o.opts.Remote, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	res, err := capture.Capture(ctx, src, o.opts)
	if err != nil {
		return err
	}
	out := map[string]any{
		"reference":    res.Reference,
		"digest":       res.Digest.String(),
		"layerSeconds": res.LayerTime.Seconds(),
		"pushSeconds":  res.PushTime.Seconds(),
	}
	var layers []map[string]any
	for _, l := range res.Layers {
		d, _ := l.Digest()
		size, _ := l.Size()
		layers = append(layers, map[string]any{"digest": d.String(), "size": size, "annotations": l.Annotations})
	}
	out["layers"] = layers
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, strings.TrimPrefix(l, "/"))
		}
	}
	return lines, sc.Err()
}
