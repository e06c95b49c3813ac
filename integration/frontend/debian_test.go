package frontend

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
)

// TestDebianNonRootUser: a Dockerfile on Debian creates a non-root user; a
// Feature installs a package with apt-get as root, sees the user in
// _REMOTE_USER/_REMOTE_USER_HOME and hands it a file; the image user is the
// Dockerfile's again.
func TestDebianNonRootUser(t *testing.T) {
	s := testenv.Get(t)
	dir := writeFiles(t, map[string]string{
		".devcontainer/Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN useradd -m -s /bin/bash dev\nUSER dev\n",
		".devcontainer/devcontainer.json": `{
			"build": {"dockerfile": "Dockerfile", "args": {"BASE": "` + s.DebianImage() + `"}},
			"features": {"./tools": {"package": "jq"}},
		}`,
		".devcontainer/tools/devcontainer-feature.json": `{"id": "tools", "version": "1.0.0", "options": {"package": {"type": "string", "default": "less"}}}`,
		".devcontainer/tools/install.sh": `#!/bin/sh
set -e
[ "$(id -u)" = 0 ]
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
rm -rf /var/lib/apt/lists/*
echo "$_REMOTE_USER $_REMOTE_USER_HOME $_CONTAINER_USER" > "$_REMOTE_USER_HOME/.tools"
chown "$_REMOTE_USER" "$_REMOTE_USER_HOME/.tools"
`,
	})
	img, err := build(t, s, dir, buildOpt{})
	require.NoError(t, err)
	assert.Equal(t, "dev /home/dev dev\n", img.file(t, "home/dev/.tools"))
	assert.FileExists(t, img.root+"/usr/bin/jq", "apt-get installed the option's package")
	assert.Equal(t, "dev", img.config.Config.User)
	passwd := img.file(t, "etc/passwd")
	assert.Contains(t, passwd, "dev:x:1000:1000::/home/dev:/bin/bash")
}
