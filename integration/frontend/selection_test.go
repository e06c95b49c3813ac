package frontend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/integration/testenv"
)

var (
	frontendOnce  sync.Once
	frontendImage string
	frontendErr   error
	frontendLog   string
)

// debianCABundle is Debian's CA bundle (the ca-certificates package), which
// the images carry at the same path.
const debianCABundle = "/etc/ssl/certs/ca-certificates.crt"

// testFrontendImage builds the frontend image from the current source
// (static binary, CA bundle + cmd/devcache-frontend/Dockerfile, as `make
// frontend-image` does) and pushes it to the stack's registry under a content tag.
func testFrontendImage(t *testing.T, s *testenv.Stack) string {
	t.Helper()
	frontendOnce.Do(func() {
		ctx := filepath.Join(os.TempDir(), "devcache-frontend-image")
		_ = os.RemoveAll(ctx)
		bin := filepath.Join(ctx, "bin", "devcache-frontend")
		gb := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/devcache-frontend")
		gb.Dir = s.RepoRoot
		gb.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := gb.CombinedOutput(); err != nil {
			frontendErr, frontendLog = err, string(out)
			return
		}
		dt, err := os.ReadFile(bin)
		if err != nil {
			frontendErr = err
			return
		}
		// The image carries Debian's CA bundle (make ca-bundle does the same).
		bundle, err := os.ReadFile(debianCABundle)
		if err == nil {
			err = os.WriteFile(filepath.Join(ctx, "bin", "ca-certificates.crt"), bundle, 0o644)
		}
		if err != nil {
			frontendErr = fmt.Errorf("the image's CA bundle: %w", err)
			return
		}
		sum := sha256.Sum256(append(dt, bundle...))
		frontendImage = s.Registry + "/devcache-test/frontend:" + hex.EncodeToString(sum[:8])
		cmd := s.Command("buildctl", "build", "--frontend", "dockerfile.v0",
			"--local", "context="+ctx, "--local", "dockerfile="+filepath.Join(s.RepoRoot, "cmd", "devcache-frontend"),
			"--output", "type=image,name="+frontendImage+",push=true")
		out, err := cmd.CombinedOutput()
		frontendErr, frontendLog = err, string(out)
	})
	if frontendErr != nil {
		t.Fatalf("building the frontend image: %v\n%s", frontendErr, frontendLog)
	}
	return frontendImage
}

// buildxCmd runs the standalone buildx with a private config holding a
// "remote" builder on the stack's buildkitd.
func buildxCmd(t *testing.T, s *testenv.Stack, cfgDir string, args ...string) *exec.Cmd {
	cmd := s.Command("buildx", append([]string{"--builder", "fe-test"}, args...)...)
	cmd.Env = append(cmd.Env, "BUILDX_CONFIG="+cfgDir)
	return cmd
}

func newBuildx(t *testing.T, s *testenv.Stack) string {
	cfg := t.TempDir()
	cmd := s.Command("buildx", "create", "--name", "fe-test", "--driver", "remote", s.BuildkitHost)
	cmd.Env = append(cmd.Env, "BUILDX_CONFIG="+cfg)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return cfg
}

func run(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", strings.Join(cmd.Args, " "), out)
	return string(out)
}

// TestSelectionPaths runs the frontend from its image the three ways users
// select it and checks the built image each time.
func TestSelectionPaths(t *testing.T) {
	s := testenv.Get(t)
	fe := testFrontendImage(t, s)
	files := localFeatures()
	files[".devcontainer/devcontainer.json"] = `{"image": "` + s.BusyboxImage() + `", "features": {"./hello": {"greeting": "selected"}, "./world": {}}, "remoteUser": "root"}`
	dir := writeFiles(t, files)
	bx := newBuildx(t, s)

	check := func(t *testing.T, ociTar string) map[string]string {
		dt, err := os.ReadFile(ociTar)
		require.NoError(t, err)
		cfg := readConfig(t, dt).Config
		assert.Contains(t, cfg.Env, "HELLO_HOME=/opt/hello")
		//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI's bytes
		assert.Equal(t, `[ {"id":"./world","privileged":true}, {"id":"./hello"}, {"remoteUser":"root"} ]`, cfg.Labels["devcontainer.metadata"])
		_, _, err = cachekey.FromLabels(cfg.Labels)
		assert.NoError(t, err)
		return cfg.Labels
	}

	t.Run("buildctl gateway.v0 source", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.tar")
		run(t, s.Command("buildctl", "build", "--frontend", "gateway.v0", "--opt", "source="+fe,
			"--local", "context="+dir, "--local", "dockerfile="+filepath.Join(dir, ".devcontainer"),
			"--opt", "filename=devcontainer.json", "--output", "type=oci,dest="+out))
		check(t, out)
	})
	t.Run("buildx BUILDKIT_SYNTAX", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out.tar")
		cmd := buildxCmd(t, s, bx, "build", "--build-arg", "BUILDKIT_SYNTAX="+fe,
			"-f", filepath.Join(dir, ".devcontainer", "devcontainer.json"), "--label", "org.example=x",
			"--output", "type=oci,dest="+out, dir)
		run(t, cmd)
		assert.Equal(t, "x", check(t, out)["org.example"], "--label reaches the image")
	})
	t.Run("syntax line", func(t *testing.T) {
		sdir := writeFiles(t, files)
		require.NoError(t, writeFile(sdir, ".devcontainer/devcontainer.json", "// syntax="+fe+"\n"+files[".devcontainer/devcontainer.json"]))
		out := filepath.Join(t.TempDir(), "out.tar")
		run(t, buildxCmd(t, s, bx, "build", "-f", filepath.Join(sdir, ".devcontainer", "devcontainer.json"),
			"--output", "type=oci,dest="+out, sdir))
		check(t, out)
	})
	t.Run("call targets", func(t *testing.T) {
		out := run(t, buildxCmd(t, s, bx, "build", "--build-arg", "BUILDKIT_SYNTAX="+fe, "--call", "targets",
			"-f", filepath.Join(dir, ".devcontainer", "devcontainer.json"), dir))
		assert.Contains(t, out, "devcontainer (default)")
	})
	t.Run("call outline", func(t *testing.T) {
		odir := writeFiles(t, map[string]string{".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "containerEnv": {"W": "${localEnv:WHO:nobody}"}}`})
		out := run(t, buildxCmd(t, s, bx, "build", "--build-arg", "BUILDKIT_SYNTAX="+fe, "--call", "outline",
			"-f", filepath.Join(odir, ".devcontainer", "devcontainer.json"), odir))
		assert.Contains(t, out, "localEnv:WHO")
		assert.Contains(t, out, "nobody")
	})
	t.Run("call lockfile", func(t *testing.T) {
		dgst := pushFeature(t, s.Registry, "devcache-test/features/lockfeat", "1", colorFeature("lockfeat"))
		ref := s.Registry + "/devcache-test/features/lockfeat:1"
		ldir := writeFiles(t, map[string]string{".devcontainer/devcontainer.json": `{"image": "` + s.BusyboxImage() + `", "features": {"` + ref + `": {}}}`})
		out := run(t, buildxCmd(t, s, bx, "build", "--build-arg", "BUILDKIT_SYNTAX="+fe, "--call", "lockfile",
			"-f", filepath.Join(ldir, ".devcontainer", "devcontainer.json"), ldir))
		start := strings.Index(out, "{")
		require.GreaterOrEqual(t, start, 0, out)
		var lock struct {
			Features map[string]struct{ Version, Resolved, Integrity string } `json:"features"`
		}
		require.NoError(t, json.Unmarshal([]byte(out[start:]), &lock), out)
		assert.Equal(t, dgst.String(), lock.Features[ref].Integrity)
		assert.Equal(t, s.Registry+"/devcache-test/features/lockfeat@"+dgst.String(), lock.Features[ref].Resolved)
		assert.Equal(t, "1.2.3", lock.Features[ref].Version)
	})
	t.Run("malformed file shows the line", func(t *testing.T) {
		bdir := writeFiles(t, map[string]string{".devcontainer/devcontainer.json": "{\n  \"image\": \"x\",\n  \"features\": 5\n}\n"})
		cmd := buildxCmd(t, s, bx, "build", "--build-arg", "BUILDKIT_SYNTAX="+fe,
			"-f", filepath.Join(bdir, ".devcontainer", "devcontainer.json"), bdir)
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		assert.Contains(t, string(out), "devcontainer.json:3")
		assert.Contains(t, string(out), `>>>   "features": 5`)
	})
}
