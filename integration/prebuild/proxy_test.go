package prebuild

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/catalog"
	"github.com/devcache/devcache/prebuild/container"
	"github.com/devcache/devcache/prebuild/environment"
	"github.com/devcache/devcache/prebuild/runner"
	"github.com/devcache/devcache/registryproxy/config"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/service"
)

// TestThroughProxy: the prebuild is pushed to projects/<p>/prebuild through
// an in-process devcache-proxy (embedded registry) with the (project, create)
// credential the proxy issues; the catalog lists it through the proxy, and an
// environment on another host pulls it through the proxy (the plugin gets the
// same credential from its docker config).
func TestThroughProxy(t *testing.T) {
	s := testenv.Get(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	cfg := config.Default()
	cfg.Server.StateDir = t.TempDir()
	cfg.Server.AdminAddr, cfg.Auth.KeysFile = "", ""
	require.NoError(t, cfg.Finish())
	svc, err := service.New(log.WithLogger(context.Background(), slog.New(slog.DiscardHandler)), cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Server)
	t.Cleanup(func() { srv.Close(); svc.Close() })
	proxyHost := strings.TrimPrefix(srv.URL, "http://")

	project := projectName(t)
	cred, err := service.Issuer(svc.Config, svc.Authority).Issue(ctx, credentials.Request{Project: project, Purpose: contract.PurposeCreate})
	require.NoError(t, err)
	auth := &authn.Basic{Username: cred.Username, Password: cred.Password}

	// The plugin reads registry credentials from its docker config.
	dockerConfig := t.TempDir()
	b, err := json.Marshal(map[string]any{"auths": map[string]any{proxyHost: map[string]string{
		"auth": base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + cred.Password))}}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dockerConfig, "config.json"), b, 0o600))

	dir := t.TempDir()
	a := newHost(t, s, filepath.Join(dir, "a"), "DOCKER_CONFIG="+dockerConfig)
	bh := newHost(t, s, filepath.Join(dir, "b"), "DOCKER_CONFIG="+dockerConfig)
	cat := &catalog.Registry{Host: proxyHost, Auth: func(context.Context, string) (authn.Authenticator, error) { return auth, nil }}
	pull := container.PullOptions{Snapshotter: "devcache", PlainHTTP: []string{s.Registry, proxyHost},
		Credentials: &container.Credentials{Host: proxyHost, Username: cred.Username, Password: cred.Password}}

	ws, cfgFile := newProject(t, `{"image": "busybox", "onCreateCommand": "mkdir -p /opt && echo via-proxy > /opt/marker", "postCreateCommand": "cat /opt/marker"}`, nil)
	rn := a.runner(t)
	rn.Registry, rn.Recorder, rn.Pull = proxyHost, cat, pull
	rn.Remote = []remote.Option{remote.WithAuth(auth)}
	res, err := rn.Run(ctx, runner.Request{Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfgFile})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(res.Prebuild.Reference, proxyHost+"/"+contract.RepositoryName(project, contract.KindPrebuild)+"@"), res.Prebuild.Reference)

	list, err := cat.List(ctx, project)
	require.NoError(t, err)
	got, ok := prebuild.Select(list, "small", time.Now())
	require.True(t, ok)
	require.Equal(t, res.Prebuild.ID, got.ID)

	cr := bh.creator()
	cr.Catalog, cr.Pull = cat, pull
	env, err := cr.Create(ctx, environment.Request{ID: project + "-env", Project: project, EnvironmentClass: "small", WorkspaceFolder: ws, ConfigFile: cfgFile})
	require.NoError(t, err)
	removeOnCleanup(t, env)
	require.NotNil(t, env.Prebuild)
	require.Equal(t, "via-proxy\n", execOut(t, ctx, env, "cat /opt/marker"))
	require.Contains(t, bh.plugin.Log(), "remote-snapshot-prepared=true", "the plugin restored the layers through the proxy")

	// Another project's credential sees nothing of it.
	other, err := service.Issuer(svc.Config, svc.Authority).Issue(ctx, credentials.Request{Project: project + "-other", Purpose: contract.PurposeCreate})
	require.NoError(t, err)
	otherCat := &catalog.Registry{Host: proxyHost, Auth: func(context.Context, string) (authn.Authenticator, error) {
		return &authn.Basic{Username: other.Username, Password: other.Password}, nil
	}}
	_, err = otherCat.List(ctx, project)
	require.Error(t, err, "a credential for another project cannot list this project's prebuilds")
}
