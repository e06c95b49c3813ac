package features

import (
	"fmt"
	"strings"
)

// Paths inside the build container, as the reference CLI uses them.
const (
	// ContentDir holds the staged Features and the builtin env file.
	ContentDir = "/tmp/dev-container-features"
	// SourceDir is where a Feature's files are mounted for its install step.
	SourceDir = "/tmp/build-features-src"
	// BuiltinEnvFile holds _CONTAINER_USER, _REMOTE_USER and their homes.
	BuiltinEnvFile = ContentDir + "/devcontainer-features.builtin.env"
	// EnvFileName is the per-Feature options file.
	EnvFileName = "devcontainer-features.env"
	// WrapperName is the per-Feature install wrapper.
	WrapperName = "devcontainer-features-install.sh"
)

func shellQuote(s string) string { return strings.ReplaceAll(s, "'", `'\''`) }

// Wrapper renders devcontainer-features-install.sh for f the way the
// reference CLI does: banner, failure trap, the builtin and option env files
// exported with set -a, then install.sh.
func Wrapper(f *Feature) string {
	m := f.Metadata
	name := m.Name
	if name == "" {
		name = m.ID
	}
	var warn string
	if m.Deprecated {
		warn = fmt.Sprintf("(!) WARNING: Using the deprecated Feature \"%s\". This Feature will no longer receive any further updates/support.\n", shellQuote(m.ID))
	}
	var opts strings.Builder
	for _, v := range f.Env() {
		fmt.Fprintf(&opts, "    %s=\"%s\"\n", SafeID(v.Name), shellQuote(v.Value))
	}
	doc := ""
	if m.DocumentationURL != "" {
		doc = " Look at the documentation at " + m.DocumentationURL + " for help troubleshooting this error."
	}
	warnLine := ""
	if warn != "" {
		warnLine = "echo '" + strings.TrimSuffix(warn, "\n") + "'"
	}
	return `#!/bin/sh
set -e

on_exit () {
	[ $? -eq 0 ] && exit
	echo 'ERROR: Feature "` + shellQuote(name) + `" (` + shellQuote(f.Ref.UserID) + `) failed to install!` + shellQuote(doc) + `'
}

trap on_exit EXIT

echo ===========================================================================
` + warnLine + `
echo 'Feature       : ` + shellQuote(name) + `'
echo 'Description   : ` + shellQuote(m.Description) + `'
echo 'Id            : ` + shellQuote(f.Ref.UserID) + `'
echo 'Version       : ` + shellQuote(m.Version) + `'
echo 'Documentation : ` + shellQuote(m.DocumentationURL) + `'
echo 'Options       :'
echo '` + strings.TrimSuffix(opts.String(), "\n") + `'
echo ===========================================================================

set -a
. ../devcontainer-features.builtin.env
. ./devcontainer-features.env
set +a

chmod +x ./install.sh
./install.sh
`
}

// userLookup is the CLI's passwd lookup for a user's home folder.
func userLookup(user string) string {
	q := strings.NewReplacer(`'`, `\'`, `\`, `\\`).Replace(user)
	return fmt.Sprintf(" (command -v getent >/dev/null 2>&1 && getent passwd '%s' || grep -E '^%s|^[^:]*:[^:]*:%s:' /etc/passwd || true)", q, q, q)
}

// BuiltinEnv is the content of the builtin env file before the home
// folders are appended.
func BuiltinEnv(containerUser, remoteUser string) string {
	return fmt.Sprintf("_CONTAINER_USER=%s\n_REMOTE_USER=%s\n", containerUser, remoteUser)
}

// HomesScript appends _CONTAINER_USER_HOME and _REMOTE_USER_HOME to the
// builtin env file, looked up in the image's passwd database.
func HomesScript(containerUser, remoteUser string) string {
	return fmt.Sprintf(`echo "_CONTAINER_USER_HOME=$(%s | cut -d: -f6)" >> %s && echo "_REMOTE_USER_HOME=$(%s | cut -d: -f6)" >> %s`,
		userLookup(containerUser), BuiltinEnvFile, userLookup(remoteUser), BuiltinEnvFile)
}

// InstallScript is the shell command of one Feature's install step; the
// Feature's staged files are mounted at SourceDir/<consecutiveID>.
func InstallScript(consecutiveID string) string {
	src := SourceDir + "/" + consecutiveID
	dst := ContentDir + "/" + consecutiveID
	return fmt.Sprintf("cp -ar %s %s && chmod -R 0755 %s && cd %s && chmod +x ./%s && ./%s && rm -rf %s",
		src, ContentDir, dst, dst, WrapperName, WrapperName, dst)
}
