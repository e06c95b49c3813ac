package proxy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
)

// TestBuildx: docker buildx (remote driver on the stack's buildkitd, with
// its default provenance attestation) pushes an image and a registry cache
// export through the proxy with a create credential, then a second build
// imports that cache with a rebuild credential.
func TestBuildx(t *testing.T) {
	s := testenv.Get(t)
	p := startProxy(t, nil)
	project := "buildx"
	repo := p.Host + "/projects/" + project + "/image-build"
	create := p.credential(project, contract.PurposeCreate)
	rebuild := p.credential(project, contract.PurposeRebuild)

	ctxDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(fmt.Sprintf(
		"FROM %s\nRUN echo buildx-%s > /marker\n", s.BusyboxImage(), filepath.Base(ctxDir))), 0o644))
	cfgCreate := dockerConfig(t, p.Host, create)
	builder := "devcache-proxy-" + strings.ToLower(filepath.Base(ctxDir))
	env := []string{"DOCKER_CONFIG=" + cfgCreate}
	out, err := run(t, s, env, "buildx", "create", "--name", builder, "--driver", "remote", s.BuildkitHost)
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = run(t, s, env, "buildx", "rm", builder) })

	out, err = run(t, s, env, "buildx", "build", "--builder", builder, "--push", "-t", repo+":bx1",
		"--cache-to", "type=registry,ref="+repo+":cache-bx1,mode=max,image-manifest=true,oci-mediatypes=true", ctxDir)
	require.NoError(t, err, out)

	tok := p.token(rebuild, "repository:projects/"+project+"/image-build:pull").Token
	tags := p.do("GET", "/v2/projects/"+project+"/image-build/tags/list", tok, nil, nil)
	assert.JSONEq(t, `{"name":"projects/`+project+`/image-build","tags":["bx1","cache-bx1"]}`, string(tags.Body))

	// A rebuild imports the cache through the proxy (pull only) and exports nothing.
	cfgRebuild := dockerConfig(t, p.Host, rebuild)
	renv := []string{"DOCKER_CONFIG=" + cfgRebuild}
	out, err = run(t, s, renv, "buildx", "create", "--name", builder+"-r", "--driver", "remote", s.BuildkitHost)
	require.NoError(t, err, out)
	t.Cleanup(func() { _, _ = run(t, s, renv, "buildx", "rm", builder+"-r") })
	out, err = run(t, s, renv, "buildx", "build", "--builder", builder+"-r",
		"--cache-from", "type=registry,ref="+repo+":cache-bx1", "--output", "type=cacheonly", ctxDir)
	require.NoError(t, err, out)
	assert.Contains(t, out, "importing cache manifest from "+repo+":cache-bx1")
	// And cannot push.
	out, err = run(t, s, renv, "buildx", "build", "--builder", builder+"-r", "--push", "-t", repo+":bx2", ctxDir)
	require.Error(t, err, out)
	assert.Regexp(t, "insufficient_scope|401 Unauthorized|unauthorized", out)
}
