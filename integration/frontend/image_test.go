package frontend

import (
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/frontend/cachekey"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/integration/testenv"
)

// localFeatures are two local Features: hello (options, containerEnv,
// installsAfter world) and world (privileged, in the metadata label).
func localFeatures() map[string]string {
	return map[string]string{
		".devcontainer/hello/devcontainer-feature.json": `{
			// JSONC, like the reference CLI accepts
			"id": "hello", "version": "1.0.0", "name": "Hello",
			"options": {
				"greeting": {"type": "string", "default": "hello"},
				"install-dir": {"type": "string", "default": "/usr/local/bin"},
			},
			"containerEnv": {"HELLO_HOME": "/opt/hello", "PATH": "/opt/hello/bin:${PATH}", "HELLO_QUOTED": "say \"hi\" \\ ${HELLO_HOME}"},
			"installsAfter": ["./world"],
		}`,
		".devcontainer/hello/install.sh": `#!/bin/sh
set -e
mkdir -p /opt/hello/bin
test -f /opt/world
echo "$GREETING from $_REMOTE_USER home=$_REMOTE_USER_HOME container=$_CONTAINER_USER dir=$INSTALL_DIR" > /opt/hello/greeting
echo "PATH=$PATH" >> /opt/hello/greeting
`,
		".devcontainer/world/devcontainer-feature.json": `{"id": "world", "version": "2.0.0", "privileged": true}`,
		".devcontainer/world/install.sh":                "#!/bin/sh\nmkdir -p /opt && echo world > /opt/world\n",
	}
}

func TestImageWithLocalFeatures(t *testing.T) {
	s := testenv.Get(t)
	dcjson := `// a comment first
{
	"image": "` + s.BusyboxImage() + `",
	"containerEnv": {"PROJECT": "${localWorkspaceFolderBasename}", "LITERAL": "$HOME"},
	"features": {
		"./hello": {"greeting": "hi there"},
		"./world": {},
	},
	"postCreateCommand": "echo done",
}
`
	files := localFeatures()
	files[".devcontainer/devcontainer.json"] = dcjson
	files["unrelated.txt"] = "context files are not inputs"
	dir := writeFiles(t, files)

	img, err := build(t, s, dir, buildOpt{attrs: map[string]string{
		"build-arg:localWorkspaceFolder": "/src/myproj",
		"label:org.example.team":         "devx",
	}})
	require.NoError(t, err)

	greeting := img.file(t, "opt/hello/greeting")
	assert.True(t, strings.HasPrefix(greeting, "hi there from root home=/root container=root dir=/usr/local/bin\nPATH=/opt/hello/bin:"), greeting)
	assert.Equal(t, "world\n", img.file(t, "opt/world"))
	assert.Contains(t, img.file(t, "tmp/dev-container-features/devcontainer-features.builtin.env"), "_REMOTE_USER_HOME=/root")

	cfg := img.config.Config
	assert.Contains(t, cfg.Env, "HELLO_HOME=/opt/hello")
	assert.Contains(t, cfg.Env, `HELLO_QUOTED=say "hi" \ /opt/hello`, "Feature containerEnv expands like ENV")
	assert.Contains(t, cfg.Env, "PROJECT=myproj", "containerEnv is substituted")
	assert.Contains(t, cfg.Env, "LITERAL=$HOME", "containerEnv is literal ($ escaped)")
	var path string
	for _, e := range cfg.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	assert.True(t, strings.HasPrefix(path, "/opt/hello/bin:/"), path)
	assert.Equal(t, "root", cfg.User)
	assert.Equal(t, "devx", cfg.Labels["org.example.team"])
	//nolint:testifylint // byte-exact on purpose: the label must equal the reference CLI's bytes
	assert.Equal(t, `[ {"id":"./world","privileged":true}, {"id":"./hello"}, `+
		`{"postCreateCommand":"echo done","containerEnv":{"PROJECT":"${localWorkspaceFolderBasename}","LITERAL":"$HOME"}} ]`,
		cfg.Labels["devcontainer.metadata"])

	key, inputs, err := cachekey.FromLabels(cfg.Labels)
	require.NoError(t, err)
	assert.Equal(t, cfg.Labels[cachekey.LabelKey], key.String())
	want := map[string]string{
		"schema":            cachekey.SchemaVersion,
		"devcontainer.json": digest.FromString(dcjson).String(),
	}
	got := map[string]string{}
	for _, i := range inputs {
		got[i.Name] = i.Value
	}
	for k, v := range want {
		assert.Equal(t, v, got[k], k)
	}
	assert.Contains(t, got, "image")
	// The devcache CLI computes local Feature digests from disk with the
	// same function: it must agree with what the frontend saw.
	helloDigest, err := features.FolderDigest(t.Context(), features.DirFS(filepath.Join(dir, ".devcontainer")), "hello")
	require.NoError(t, err)
	assert.Equal(t, helloDigest.String(), got["feature:./hello"])
	assert.Contains(t, got, "feature:./world")
	// The Feature inputs follow the install order (world before hello, which
	// installsAfter it), whatever other inputs come before them.
	var featureOrder []string
	for _, i := range inputs {
		if strings.HasPrefix(i.Name, cachekey.InputFeature) {
			featureOrder = append(featureOrder, i.Name)
		}
	}
	assert.Equal(t, []string{"feature:./world", "feature:./hello"}, featureOrder, "Features in install order")
	assert.Equal(t, cachekey.FormatPlatforms(nil), got[cachekey.InputPlatform], "the build's platform is an input")

	// The same inputs give the same key; a context file that is not an input does not change it.
	require.NoError(t, writeFile(dir, "unrelated.txt", "changed"))
	img2, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localWorkspaceFolder": "/src/myproj"}})
	require.NoError(t, err)
	assert.Equal(t, key.String(), img2.config.Config.Labels[cachekey.LabelKey])

	// Changing a local Feature's content changes the key.
	require.NoError(t, writeFile(dir, ".devcontainer/world/install.sh", "#!/bin/sh\nmkdir -p /opt && echo world2 > /opt/world\n"))
	img3, err := build(t, s, dir, buildOpt{attrs: map[string]string{"build-arg:localWorkspaceFolder": "/src/myproj"}})
	require.NoError(t, err)
	assert.NotEqual(t, key.String(), img3.config.Config.Labels[cachekey.LabelKey])
	_, inputs3, err := cachekey.FromLabels(img3.config.Config.Labels)
	require.NoError(t, err)
	changes := cachekey.Diff(inputs, inputs3)
	require.Len(t, changes, 1)
	assert.Equal(t, "feature:./world", changes[0].Name)
}
