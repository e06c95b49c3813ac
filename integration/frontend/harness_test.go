package frontend

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
	"github.com/tonistiigi/fsutil"

	"github.com/devcache/devcache/frontend/builder"
	"github.com/devcache/devcache/integration/testenv"
)

// writeFiles writes a project tree under a temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		mode := os.FileMode(0o644)
		if filepath.Ext(p) == ".sh" {
			mode = 0o755
		}
		require.NoError(t, os.WriteFile(p, []byte(content), mode))
	}
	return dir
}

type buildOpt struct {
	// dockerfileDir is the "dockerfile" local relative to the project
	// (default .devcontainer); attrs may set "filename" accordingly.
	dockerfileDir string
	attrs         map[string]string
	secrets       map[string][]byte
	// auths are docker credentials: registry -> "user:password".
	auths map[string]string
}

// image is an exported build result.
type image struct {
	root     string // the image filesystem (local export)
	config   dockerspec.DockerOCIImage
	vertices map[string]*bkclient.Vertex // by name
}

func (i *image) file(t *testing.T, p string) string {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(i.root, p))
	require.NoError(t, err)
	return string(dt)
}

// build runs the frontend in-process against the stack's buildkitd with
// the project at dir (context = dir, devcontainer.json in dir/.devcontainer).
func build(t *testing.T, s *testenv.Stack, dir string, opt buildOpt) (*image, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	c, err := bkclient.New(ctx, s.BuildkitHost)
	require.NoError(t, err)
	defer c.Close()

	ctxFS, err := fsutil.NewFS(dir)
	require.NoError(t, err)
	dfDir := opt.dockerfileDir
	if dfDir == "" {
		dfDir = ".devcontainer"
	}
	dcFS, err := fsutil.NewFS(filepath.Join(dir, dfDir))
	require.NoError(t, err)

	attrs := map[string]string{"filename": "devcontainer.json"}
	for k, v := range opt.attrs {
		attrs[k] = v
	}
	cfg := &configfile.ConfigFile{AuthConfigs: map[string]types.AuthConfig{}}
	for reg, auth := range opt.auths {
		user, pass, _ := strings.Cut(auth, ":")
		cfg.AuthConfigs[reg] = types.AuthConfig{Username: user, Password: pass, ServerAddress: reg}
	}
	attach := []session.Attachable{
		authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{AuthConfigProvider: authprovider.LoadAuthConfig(cfg)}),
		secretsprovider.FromMap(opt.secrets),
	}

	out := &image{root: t.TempDir(), vertices: map[string]*bkclient.Vertex{}}
	var ociTar, logs bytes.Buffer
	ch := make(chan *bkclient.SolveStatus)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for st := range ch {
			for _, v := range st.Vertexes {
				out.vertices[v.Name] = v
			}
			for _, l := range st.Logs {
				logs.Write(l.Data)
			}
		}
	}()
	_, err = c.Build(ctx, bkclient.SolveOpt{
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dcFS},
		FrontendAttrs: attrs,
		Session:       attach,
		Exports: []bkclient.ExportEntry{
			{Type: bkclient.ExporterOCI, Output: func(map[string]string) (io.WriteCloser, error) { return nopCloser{&ociTar}, nil }},
			{Type: bkclient.ExporterLocal, OutputDir: out.root},
		},
	}, "devcache-frontend-test", deterministic(builder.Build), ch)
	wg.Wait()
	if err != nil {
		t.Logf("build output:\n%s", logs.String())
		return nil, err
	}
	out.config = readConfig(t, ociTar.Bytes())
	return out, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// readConfig returns the image config of a single-platform OCI tarball.
func readConfig(t *testing.T, oci []byte) dockerspec.DockerOCIImage {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(oci))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		dt, err := io.ReadAll(tr)
		require.NoError(t, err)
		files[h.Name] = dt
	}
	blob := func(d string) []byte {
		dt, ok := files["blobs/sha256/"+d[len("sha256:"):]]
		require.True(t, ok, "blob %s", d)
		return dt
	}
	var idx ocispecs.Index
	require.NoError(t, json.Unmarshal(files["index.json"], &idx))
	require.NotEmpty(t, idx.Manifests)
	desc := idx.Manifests[0]
	for desc.MediaType == ocispecs.MediaTypeImageIndex {
		var sub ocispecs.Index
		require.NoError(t, json.Unmarshal(blob(desc.Digest.String()), &sub))
		desc = sub.Manifests[0]
	}
	var m ocispecs.Manifest
	require.NoError(t, json.Unmarshal(blob(desc.Digest.String()), &m))
	var img dockerspec.DockerOCIImage
	require.NoError(t, json.Unmarshal(blob(m.Config.Digest.String()), &img))
	return img
}

func writeFile(dir, name, content string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755)
}
