package frontend

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tonistiigi/fsutil"

	"github.com/devcache/devcache/frontend/builder"
	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/integration/testenv"
)

// stubDocker answers what `devcontainer build` asks a Docker engine
// (research devcontainer.md §6) and records the buildx build it would run:
// the generated Dockerfile, the staged Feature content and the arguments.
const stubDocker = `#!/bin/sh
out="${STUB_OUT:?}"
case "$1 $2" in
"buildx version") echo "github.com/docker/buildx v0.38.2 0000000"; exit 0 ;;
"version --format") echo "27.3.1"; exit 0 ;;
esac
[ "$1" = "ps" ] && exit 0
if [ "$1" = "inspect" ]; then cat "${STUB_INSPECT:?}"; exit 0; fi
if [ "$1" = "buildx" ] && [ "$2" = "build" ]; then
  printf '%s\n' "$@" > "$out/args"
  prev=""
  for a in "$@"; do
    [ "$prev" = "-f" ] && cp "$a" "$out/Dockerfile"
    case "$a" in dev_containers_feature_content_source=*) cp -r "${a#dev_containers_feature_content_source=}" "$out/content" ;; esac
    prev="$a"
  done
  exit 0
fi
echo "stub docker: unexpected $*" >&2
exit 1
`

// referenceCLIVersion is the @devcontainers/cli the comparison runs
// (hack/bench-frontend installs it into the devcache cache).
const referenceCLIVersion = "0.89.0"

// referenceCLI finds @devcontainers/cli's devcontainer.js:
// $DEVCACHE_DEVCONTAINER_CLI, the copy hack/bench-frontend installs, or the
// global npm install.
func referenceCLI(t *testing.T) string {
	if p := os.Getenv("DEVCACHE_DEVCONTAINER_CLI"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cache", "devcache", "devcontainers-cli-"+referenceCLIVersion, "node_modules", "@devcontainers", "cli", "devcontainer.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if out, err := exec.Command("npm", "root", "-g").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "@devcontainers", "cli", "devcontainer.js")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("@devcontainers/cli not installed: run hack/bench-frontend once (npm install into ~/.cache/devcache), or set DEVCACHE_DEVCONTAINER_CLI to its devcontainer.js")
	return ""
}

// inspectJSON renders `docker inspect --type image` output for an image of
// the plain-HTTP stack registry.
func inspectJSON(t *testing.T, image string) []byte {
	t.Helper()
	host, rest, _ := strings.Cut(image, "/")
	repo, tag, _ := strings.Cut(rest, ":")
	get := func(path, accept string) []byte {
		req, err := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		dt, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return dt
	}
	var m struct {
		ocispecs.Manifest
		Manifests []ocispecs.Descriptor `json:"manifests"`
	}
	require.NoError(t, json.Unmarshal(get("/manifests/"+tag, ocispecs.MediaTypeImageManifest+","+ocispecs.MediaTypeImageIndex+",application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json"), &m))
	if len(m.Manifests) > 0 {
		require.NoError(t, json.Unmarshal(get("/manifests/"+m.Manifests[0].Digest.String(), m.Manifests[0].MediaType), &m))
	}
	var cfg ocispecs.Image
	require.NoError(t, json.Unmarshal(get("/blobs/"+m.Config.Digest.String(), "*/*"), &cfg))
	out, err := json.Marshal([]map[string]any{{
		"Id": m.Config.Digest.String(), "Os": cfg.OS, "Architecture": cfg.Architecture,
		"Config": map[string]any{"User": cfg.Config.User, "Env": cfg.Config.Env, "Labels": cfg.Config.Labels},
	}})
	require.NoError(t, err)
	return out
}

// TestMatchesReferenceCLI builds a local-Feature configuration twice: with
// devcache-frontend, and by running the Dockerfile that the reference CLI
// (`devcontainer build` against a stub docker) generates on the same
// buildkitd. The images must have the same env, user, metadata label and
// Feature-installed files. It also times cached rebuilds of both.
func TestMatchesReferenceCLI(t *testing.T) {
	s := testenv.Get(t)
	cli := referenceCLI(t)
	files := localFeatures()
	files[".devcontainer/devcontainer.json"] = `{
	"image": "` + s.BusyboxImage() + `",
	"containerEnv": {"PROJECT": "${localWorkspaceFolderBasename}", "LITERAL": "$HOME", "QUOTED": "a \"b\" \\c"},
	"remoteUser": "root",
	"features": {"./hello": {"greeting": "hi there", "install-dir": "/opt/x"}, "./world": {}},
	"postCreateCommand": "echo done",
	"customizations": {"vscode": {"extensions": ["b.b", "a.a"]}},
}`
	dir := writeFiles(t, files)

	refBuild, cliD := referenceBuild(t, s, cli, dir)
	refRoot, refTar := t.TempDir(), filepath.Join(t.TempDir(), "ref.tar")
	refBuild("type=local,dest="+refRoot, "type=oci,dest="+refTar)
	refTarData, err := os.ReadFile(refTar)
	require.NoError(t, err)
	ref := readConfig(t, refTarData).Config

	// devcache-frontend, with the workspace folder the CLI saw.
	ours, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localWorkspaceFolder": dir}})
	require.NoError(t, err)
	got := ours.config.Config

	assert.Equal(t, ref.Env, got.Env, "env")
	assert.Equal(t, ref.User, got.User, "user")
	assert.Equal(t, ref.Labels["devcontainer.metadata"], got.Labels["devcontainer.metadata"], "metadata label")
	for _, p := range []string{"opt/hello/greeting", "opt/world", "tmp/dev-container-features/devcontainer-features.builtin.env"} {
		want, err := os.ReadFile(filepath.Join(refRoot, p))
		require.NoError(t, err, p)
		assert.Equal(t, string(want), ours.file(t, p), p)
	}
	refTree, ourTree := tree(t, filepath.Join(refRoot, "tmp/dev-container-features")), tree(t, filepath.Join(ours.root, "tmp/dev-container-features"))
	assert.Equal(t, refTree, ourTree, "staged Feature folders are removed the same way")
	_, _, err = cachekey.FromLabels(got.Labels)
	require.NoError(t, err)

	// Cached rebuilds, both through buildctl: ours from the frontend image.
	fe := testFrontendImage(t, s)
	oursBuild := func() {
		run(t, s.Command("buildctl", "build", "--frontend", "gateway.v0", "--opt", "source="+fe,
			"--local", "context="+dir, "--local", "dockerfile="+filepath.Join(dir, ".devcontainer"),
			"--opt", "filename=devcontainer.json", "--opt", "build-arg:localWorkspaceFolder="+dir))
	}
	oursBuild()
	bk, err := bkclient.New(t.Context(), s.BuildkitHost)
	require.NoError(t, err)
	defer bk.Close()
	ctxFS, err := fsutil.NewFS(dir)
	require.NoError(t, err)
	dcFS, err := fsutil.NewFS(filepath.Join(dir, ".devcontainer"))
	require.NoError(t, err)
	inProcess := func() {
		_, err := bk.Build(t.Context(), bkclient.SolveOpt{
			LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dcFS},
			FrontendAttrs: map[string]string{"filename": "devcontainer.json", "build-arg:localWorkspaceFolder": dir},
		}, "devcache-frontend-bench", builder.Build, nil)
		require.NoError(t, err)
	}
	// Interleaved so that load from other work on the machine hits all.
	const n = 10
	var refD, oursD, inprocD time.Duration
	for range n {
		start := time.Now()
		refBuild()
		refD += time.Since(start)
		start = time.Now()
		oursBuild()
		oursD += time.Since(start)
		start = time.Now()
		inProcess()
		inprocD += time.Since(start)
	}
	refD, oursD, inprocD = refD/n, oursD/n, inprocD/n
	t.Logf("reference CLI (node, generating the Dockerfile with a stub docker): %v", cliD)
	bench := fmt.Sprintf("cached rebuild, 2 local Features, n=%d: reference Dockerfile (buildctl dockerfile.v0) %v; "+
		"devcache-frontend image (buildctl gateway.v0) %v ratio %.2f; devcache-frontend in-process (client frontend, no export) %v ratio %.2f",
		n, refD.Round(time.Millisecond), oursD.Round(time.Millisecond), float64(oursD)/float64(refD),
		inprocD.Round(time.Millisecond), float64(inprocD)/float64(refD))
	t.Log("BENCH " + bench)
	fmt.Fprintln(os.Stderr, "BENCH "+bench)
}

// referenceBuild runs `devcontainer build` on the project at dir against a
// stub docker and returns a function that builds the Dockerfile it
// generated, with its build context, staged Features, build args and
// target, on the stack's buildkitd; and how long the CLI took.
func referenceBuild(t *testing.T, s *testenv.Stack, cli, dir string) (func(outputs ...string), time.Duration) {
	t.Helper()
	// The reference CLI's Dockerfile and staged Features.
	tmp := t.TempDir()
	stub := filepath.Join(tmp, "docker")
	require.NoError(t, os.WriteFile(stub, []byte(stubDocker), 0o755))
	inspect := filepath.Join(tmp, "inspect.json")
	require.NoError(t, os.WriteFile(inspect, inspectJSON(t, s.BusyboxImage()), 0o644))
	// The stub answers every inspect with busybox: the tests' bases are busybox.
	refOut := filepath.Join(tmp, "ref")
	require.NoError(t, os.MkdirAll(refOut, 0o755))
	cmd := exec.Command("node", cli, "build", "--workspace-folder", dir, "--docker-path", stub, "--image-name", "ref", "--no-lockfile")
	cmd.Env = append(os.Environ(), "STUB_OUT="+refOut, "STUB_INSPECT="+inspect)
	cliStart := time.Now()
	out, err := cmd.CombinedOutput()
	cliD := time.Since(cliStart).Round(time.Millisecond)
	require.NoError(t, err, string(out))
	args, err := os.ReadFile(filepath.Join(refOut, "args"))
	require.NoError(t, err)
	buildArgs := map[string]string{}
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	context, target := lines[len(lines)-1], ""
	for i := 0; i+1 < len(lines); i++ {
		switch lines[i] {
		case "--build-arg":
			k, v, _ := strings.Cut(lines[i+1], "=")
			buildArgs[k] = v
		case "--target":
			target = lines[i+1]
		}
	}

	// Build the reference Dockerfile on the same buildkitd.
	refBuild := func(outputs ...string) {
		a := []string{"build", "--frontend", "dockerfile.v0",
			"--local", "context=" + context, "--local", "dockerfile=" + refOut,
			"--local", "featcontent=" + filepath.Join(refOut, "content"),
			"--opt", "context:dev_containers_feature_content_source=local:featcontent",
			"--opt", "target=" + target}
		keys := make([]string, 0, len(buildArgs))
		for k := range buildArgs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a = append(a, "--opt", "build-arg:"+k+"="+buildArgs[k])
		}
		for _, o := range outputs {
			a = append(a, "--output", o)
		}
		run(t, s.Command("buildctl", a...))
	}
	return refBuild, cliD
}

func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, fmt.Sprintf("%s %v", rel, info.Mode()))
		return nil
	}))
	return out
}

// TestMatchesReferenceCLIDockerfile: the same comparison for a Dockerfile
// configuration with a target stage, build args and a non-root user.
func TestMatchesReferenceCLIDockerfile(t *testing.T) {
	s := testenv.Get(t)
	cli := referenceCLI(t)
	files := localFeatures()
	files[".devcontainer/Dockerfile"] = "FROM " + s.BusyboxImage() + " AS base\nARG WHO=nobody-set\nRUN echo \"$WHO\" > /who\n\n" +
		"FROM base AS dev\nUSER nobody\n\nFROM base AS other\nRUN touch /other\n"
	files[".devcontainer/devcontainer.json"] = `{
	"build": {"dockerfile": "Dockerfile", "target": "dev", "args": {"WHO": "reference"}},
	"containerEnv": {"A": "1"},
	"features": {"./hello": {}, "./world": {}},
	"onCreateCommand": ["echo", "x"],
}`
	dir := writeFiles(t, files)
	refBuild, _ := referenceBuild(t, s, cli, dir)
	refRoot, refTar := t.TempDir(), filepath.Join(t.TempDir(), "ref.tar")
	refBuild("type=local,dest="+refRoot, "type=oci,dest="+refTar)
	refTarData, err := os.ReadFile(refTar)
	require.NoError(t, err)
	ref := readConfig(t, refTarData).Config

	ours, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localWorkspaceFolder": dir}})
	require.NoError(t, err)
	got := ours.config.Config
	assert.Equal(t, ref.Env, got.Env, "env")
	assert.Equal(t, ref.User, got.User, "user")
	assert.Equal(t, ref.Labels["devcontainer.metadata"], got.Labels["devcontainer.metadata"], "metadata label")
	for _, p := range []string{"who", "opt/hello/greeting", "opt/world", "tmp/dev-container-features/devcontainer-features.builtin.env"} {
		want, err := os.ReadFile(filepath.Join(refRoot, p))
		require.NoError(t, err, p)
		assert.Equal(t, string(want), ours.file(t, p), p)
	}
	assert.NoFileExists(t, filepath.Join(ours.root, "other"))
}
