package llbgen

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/metadata"
)

const baseRef = "registry.test/base@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func testBase() Base {
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=/usr/bin:/bin"}
	img.Config.User = "vscode"
	img.Config.Labels = map[string]string{"org.base": "1", metadata.LabelKey: `[{"remoteUser":"vscode"}]`}
	return Base{State: llb.Image(baseRef).AddEnv("PATH", "/usr/bin:/bin").User("vscode"), Image: img}
}

func testFeature(t *testing.T, id, metaJSON, userOpts string) Feature {
	t.Helper()
	md, err := features.ParseMetadata(id, []byte(metaJSON))
	require.NoError(t, err)
	ref, err := features.ParseRef(id)
	require.NoError(t, err)
	opts, short, err := features.ParseOptions([]byte(userOpts), nil)
	require.NoError(t, err)
	files := llb.Local("dockerfile", llb.FollowPaths([]string{ref.Path}), llb.LocalUniqueID("test"))
	files = llb.Scratch().File(llb.Copy(files, "/"+ref.Path, "/", &llb.CopyInfo{CopyDirContentsOnly: true}))
	return Feature{
		Feature: &features.Feature{Ref: ref, Options: opts, Shorthand: short, Resolved: &features.Resolved{Metadata: md, Digest: digest.FromString(metaJSON)}},
		Files:   files,
	}
}

func testConfig(t *testing.T) *devcontainer.Config {
	c, err := devcontainer.Parse("devcontainer.json", []byte(`{
		"image": "x",
		"remoteUser": "dev",
		"containerEnv": {"Z": "$HOME", "A": "a"},
		"features": {"./fa": {"greeting": "hi"}, "./fb": {}}
	}`))
	require.NoError(t, err)
	return c
}

type execOp struct {
	digest digest.Digest
	name   string
	args   []string
	env    []string
	user   string
	mounts []*pb.Mount
}

func decode(t *testing.T, st llb.State) (*llb.Definition, []execOp) {
	t.Helper()
	def, err := st.Marshal(context.Background(), llb.LinuxAmd64)
	require.NoError(t, err)
	var execs []execOp
	for _, dt := range def.Def {
		var op pb.Op
		require.NoError(t, op.UnmarshalVT(dt))
		if e := op.GetExec(); e != nil {
			d := digest.FromBytes(dt)
			execs = append(execs, execOp{digest: d, name: def.Metadata[d].Description["llb.customname"], args: e.Meta.Args, env: e.Meta.Env, user: e.Meta.User, mounts: e.Mounts})
		}
	}
	return def, execs
}

func generate(t *testing.T, fbMeta string) *Result {
	fa := testFeature(t, "./fa", `{"id": "fa", "version": "1.0.0", "containerEnv": {"PATH": "/opt/fa/bin:${PATH}"}, "options": {"greeting": {"type": "string", "default": "hello"}}, "privileged": true}`, `{"greeting": "hi"}`)
	fb := testFeature(t, "./fb", fbMeta, `{}`)
	res, err := Generate(testBase(), Opt{
		Config:   testConfig(t),
		Features: []Feature{fa, fb},
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Labels:   map[string]string{"dev.devcache.cache-key": "sha256:k"},
	})
	require.NoError(t, err)
	return res
}

const fbMeta = `{"id": "fb", "version": "2.0.0", "containerEnv": {"FB": "1"}}`

func TestGenerateFeatures(t *testing.T) {
	res := generate(t, fbMeta)
	_, execs := decode(t, res.State)
	require.Len(t, execs, 3)

	homes := execs[0]
	assert.Equal(t, "root", homes.user)
	assert.Contains(t, homes.args[2], "_REMOTE_USER_HOME")
	assert.Contains(t, homes.args[2], "getent passwd 'dev'")

	fa := execs[1]
	assert.Equal(t, "[features] install ./fa", fa.name)
	assert.Equal(t, []string{"/bin/sh", "-c", "cp -ar /tmp/build-features-src/fa_0 /tmp/dev-container-features && chmod -R 0755 /tmp/dev-container-features/fa_0 && cd /tmp/dev-container-features/fa_0 && chmod +x ./devcontainer-features-install.sh && ./devcontainer-features-install.sh && rm -rf /tmp/dev-container-features/fa_0"}, fa.args)
	assert.Equal(t, "root", fa.user)
	assert.Contains(t, fa.env, "PATH=/opt/fa/bin:/usr/bin:/bin", "feature containerEnv is expanded like ENV")
	assert.NotContains(t, strings.Join(fa.env, " "), "FB=", "a later Feature's env is not set yet")
	var staged *pb.Mount
	for _, m := range fa.mounts {
		if m.Dest == "/tmp/build-features-src/fa_0" {
			staged = m
		}
	}
	require.NotNil(t, staged)
	assert.True(t, staged.Readonly)

	fb := execs[2]
	assert.Contains(t, fb.env, "FB=1")
	assert.Contains(t, fb.env, "PATH=/opt/fa/bin:/usr/bin:/bin")

	img := res.Image
	assert.Equal(t, "vscode", img.Config.User, "the image user is restored")
	assert.Equal(t, []string{"PATH=/opt/fa/bin:/usr/bin:/bin", "FB=1", "Z=$HOME", "A=a"}, img.Config.Env)
	assert.Equal(t, "1", img.Config.Labels["org.base"])
	assert.Equal(t, "sha256:k", img.Config.Labels["dev.devcache.cache-key"])
	//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI\'s bytes
	assert.Equal(t, `[ {"remoteUser":"vscode"}, {"id":"./fa","privileged":true}, {"id":"./fb"}, {"containerEnv":{"Z":"$HOME","A":"a"},"remoteUser":"dev"} ]`, img.Config.Labels[metadata.LabelKey])
	assert.Equal(t, "vscode", res.ContainerUser)
	assert.Equal(t, "dev", res.RemoteUser)
}

func TestStagedFiles(t *testing.T) {
	res := generate(t, fbMeta)
	def, err := res.State.Marshal(context.Background(), llb.LinuxAmd64)
	require.NoError(t, err)
	files := map[string]string{}
	var envFiles []string
	for _, dt := range def.Def {
		var op pb.Op
		require.NoError(t, op.UnmarshalVT(dt))
		if f := op.GetFile(); f != nil {
			for _, a := range f.Actions {
				if mk := a.GetMkfile(); mk != nil {
					files[mk.Path] = string(mk.Data)
					if mk.Path == "/devcontainer-features.env" {
						envFiles = append(envFiles, string(mk.Data))
					}
				}
			}
		}
	}
	assert.Equal(t, "_CONTAINER_USER=vscode\n_REMOTE_USER=dev\n", files["/tmp/dev-container-features/devcontainer-features.builtin.env"])
	assert.ElementsMatch(t, []string{"GREETING=\"hi\"\n", ""}, envFiles)
	assert.Contains(t, files["/devcontainer-features-install.sh"], "./install.sh")
}

func TestChangingLastFeatureKeepsEarlierSteps(t *testing.T) {
	_, a := decode(t, generate(t, fbMeta).State)
	_, b := decode(t, generate(t, `{"id": "fb", "version": "2.0.1", "containerEnv": {"FB": "2"}}`).State)
	require.Len(t, b, len(a))
	for i := 0; i < len(a)-1; i++ {
		assert.Equal(t, a[i].digest, b[i].digest, "step %d (%s) must stay cached", i, a[i].name)
	}
	assert.NotEqual(t, a[len(a)-1].digest, b[len(b)-1].digest)
}

func TestNoFeatures(t *testing.T) {
	c, err := devcontainer.Parse("devcontainer.json", []byte(`{"image": "x", "containerEnv": {"A": "1"}}`))
	require.NoError(t, err)
	res, err := Generate(testBase(), Opt{Config: c})
	require.NoError(t, err)
	_, execs := decode(t, res.State)
	assert.Empty(t, execs)
	// Like the reference CLI: without Features containerEnv only reaches the label.
	assert.Equal(t, []string{"PATH=/usr/bin:/bin"}, res.Image.Config.Env)
	//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI\'s bytes
	assert.Equal(t, `[ {"remoteUser":"vscode"}, {"containerEnv":{"A":"1"}} ]`, res.Image.Config.Labels[metadata.LabelKey])
}

// Determinism: the same inputs marshal to byte-identical LLB, every time.
func TestDeterministic(t *testing.T) {
	var first []byte
	for i := range 100 {
		res := generate(t, fbMeta)
		def, err := res.State.Marshal(context.Background(), llb.LinuxAmd64)
		require.NoError(t, err)
		// The ops (and so their digests) must be identical; the metadata
		// map is serialized in random order by protobuf and is not compared.
		got := bytes.Join(def.Def, []byte{0})
		if i == 0 {
			first = got
			continue
		}
		require.True(t, bytes.Equal(first, got), "marshal %d differs", i)
	}
}

func TestUsers(t *testing.T) {
	c, _ := devcontainer.Parse("d.json", []byte(`{"image": "x"}`))
	cu, ru := Users(nil, c, "")
	assert.Equal(t, []string{"root", "root"}, []string{cu, ru})
	cu, ru = Users(metadata.Parse(`[{"containerUser":"a"},{"remoteUser":"b"}]`), c, "img")
	assert.Equal(t, []string{"a", "b"}, []string{cu, ru})
	c2, _ := devcontainer.Parse("d.json", []byte(`{"image": "x", "containerUser": "c"}`))
	cu, ru = Users(nil, c2, "img")
	assert.Equal(t, []string{"c", "c"}, []string{cu, ru})
}

func TestConstraintsReachEveryStep(t *testing.T) {
	fa := testFeature(t, "./fa", `{"id": "fa", "version": "1"}`, `{}`)
	res, err := Generate(testBase(), Opt{Config: testConfig(t), Features: []Feature{fa}, Constraints: []llb.ConstraintsOpt{llb.IgnoreCache}})
	require.NoError(t, err)
	def, err := res.State.Marshal(context.Background(), llb.LinuxAmd64)
	require.NoError(t, err)
	n := 0
	for _, dt := range def.Def {
		var op pb.Op
		require.NoError(t, op.UnmarshalVT(dt))
		if op.GetExec() != nil {
			n++
			assert.True(t, def.Metadata[digest.FromBytes(dt)].IgnoreCache, "exec %v", op.GetExec().Meta.Args)
		}
	}
	assert.Equal(t, 2, n)
}
