package proxy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/credentials"
)

// dockerConfig writes a DOCKER_CONFIG dir with auths for the proxy host.
func dockerConfig(t *testing.T, host string, c credentials.Credential) string {
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600))
	return dir
}

func run(t *testing.T, s *testenv.Stack, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := s.Command(name, args...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestRealClients: buildctl (through buildkitd) builds and pushes an image
// and a registry cache export with a create credential; ctr pulls the image
// through containerd with a rebuild credential (hosts.toml and --user) and
// cannot push with it; buildctl with a rebuild credential cannot push either.
func TestRealClients(t *testing.T) {
	s := testenv.Get(t)
	p := startProxy(t, nil)
	project := "clients"
	repo := p.Host + "/projects/" + project + "/image-build"
	create := p.credential(project, contract.PurposeCreate)
	rebuild := p.credential(project, contract.PurposeRebuild)

	ctxDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(fmt.Sprintf(
		"FROM %s\nRUN echo devcache-proxy-%s > /marker\n", s.BusyboxImage(), filepath.Base(ctxDir))), 0o644))
	build := func(cred credentials.Credential, tag string, cacheTo bool) (string, error) {
		args := []string{"--addr", s.BuildkitHost, "build", "--frontend", "dockerfile.v0",
			"--local", "context=" + ctxDir, "--local", "dockerfile=" + ctxDir,
			"--output", "type=image,name=" + repo + ":" + tag + ",push=true"}
		if cacheTo {
			args = append(args, "--export-cache", "type=registry,ref="+repo+":cache-"+tag+",mode=max,image-manifest=true,oci-mediatypes=true")
		}
		return run(t, s, []string{"DOCKER_CONFIG=" + dockerConfig(t, p.Host, cred)}, "buildctl", args...)
	}
	out, err := build(create, "key1", true)
	require.NoError(t, err, out)

	// The image and the cache manifest are in the cache repository.
	tok := p.token(rebuild, "repository:projects/"+project+"/image-build:pull").Token
	tags := p.do("GET", "/v2/projects/"+project+"/image-build/tags/list", tok, nil, nil)
	assert.JSONEq(t, `{"name":"projects/`+project+`/image-build","tags":["cache-key1","key1"]}`, string(tags.Body))

	// Re-running the same build re-pushes identical digests: accepted.
	out, err = build(create, "key1", false)
	require.NoError(t, err, "an identical re-push is idempotent:\n%s", out)

	// A rebuild credential cannot push.
	out, err = build(rebuild, "key2", false)
	require.Error(t, err, out)
	assert.Regexp(t, "insufficient_scope|401 Unauthorized", out, "refused by authorisation")

	// containerd pulls with the rebuild credential, via hosts.toml.
	hosts := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(hosts, p.Host), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(hosts, p.Host, "hosts.toml"), []byte(fmt.Sprintf(
		"server = \"http://%s\"\n\n[host.\"http://%s\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n", p.Host, p.Host)), 0o644))
	ns := "devcache-proxy-test-" + strings.ToLower(filepath.Base(ctxDir))
	ctr := func(args ...string) (string, error) {
		return run(t, s, nil, "ctr", append([]string{"--address", s.ContainerdAddress, "--namespace", ns}, args...)...)
	}
	t.Cleanup(func() {
		_, _ = ctr("images", "rm", repo+":key1", repo+":other", repo+":plain")
	})
	out, err = ctr("images", "pull", "--hosts-dir", hosts, "--user", rebuild.Username+":"+rebuild.Password, repo+":key1")
	require.NoError(t, err, out)
	out, err = ctr("images", "ls", "-q")
	require.NoError(t, err, out)
	assert.Contains(t, out, repo+":key1")
	// ... and with --plain-http instead of hosts.toml.
	out, err = ctr("images", "pull", "--plain-http", "--user", rebuild.Username+":"+rebuild.Password, repo+":key1")
	require.NoError(t, err, out)

	// ctr cannot push with the rebuild credential.
	_, err = ctr("images", "tag", repo+":key1", repo+":other")
	require.NoError(t, err)
	out, err = ctr("images", "push", "--hosts-dir", hosts, "--user", rebuild.Username+":"+rebuild.Password, repo+":other")
	require.Error(t, err, out)
	assert.Regexp(t, "insufficient_scope|401 Unauthorized", out, "refused by authorisation")
	// The tag was not created.
	assert.NotContains(t, string(p.do("GET", "/v2/projects/"+project+"/image-build/tags/list", tok, nil, nil).Body), "other")
	// With the create credential the same push works (mounts are same-repository).
	out, err = ctr("images", "push", "--hosts-dir", hosts, "--user", create.Username+":"+create.Password, repo+":other")
	require.NoError(t, err, out)
}

// TestGoContainerRegistry pushes and pulls with go-containerregistry's
// remote package (crane's engine), which uses the OAuth2 POST token flow.
func TestGoContainerRegistry(t *testing.T) {
	p := startProxy(t, nil)
	create := p.credential("ggcr", contract.PurposeCreate)
	rebuild := p.credential("ggcr", contract.PurposeRefresh)
	ref, err := name.ParseReference(p.Host+"/projects/ggcr/prebuild:snap1", name.Insecure)
	require.NoError(t, err)
	img, err := random.Image(1<<20, 3)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: create.Username, Password: create.Password})))
	// Idempotent re-push of the same image.
	require.NoError(t, remote.Write(ref, img, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: create.Username, Password: create.Password})))
	got, err := remote.Image(ref, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: rebuild.Username, Password: rebuild.Password}))
	require.NoError(t, err)
	want, _ := img.Digest()
	gotD, _ := got.Digest()
	assert.Equal(t, want, gotD)
	layers, err := got.Layers()
	require.NoError(t, err)
	rc, err := layers[0].Compressed()
	require.NoError(t, err)
	rc.Close()
	// A different image to the same tag is refused.
	other, _ := random.Image(1024, 1)
	err = remote.Write(ref, other, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: create.Username, Password: create.Password}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "immutable")
	// The refresh credential cannot push.
	ref2, _ := name.ParseReference(p.Host+"/projects/ggcr/prebuild:snap2", name.Insecure)
	require.Error(t, remote.Write(ref2, other, remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: rebuild.Username, Password: rebuild.Password})))
}
