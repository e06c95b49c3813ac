package features

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSafeID(t *testing.T) {
	for in, want := range map[string]string{
		"option-name":       "OPTION_NAME",
		"1name":             "_NAME",
		"12345_option-name": "_OPTION_NAME",
		"myOptionName":      "MYOPTIONNAME",
		"1flag":             "_FLAG",
		"version":           "VERSION",
	} {
		assert.Equal(t, want, SafeID(in), in)
	}
}

func TestValuesAndEnvFile(t *testing.T) {
	md, err := ParseMetadata("f.json", []byte(`{
		// JSONC like the CLI reads it
		"id": "f", "version": "1.0.0",
		"options": {
			"version": {"type": "string", "default": "latest"},
			"pip": {"type": "boolean", "default": false},
			"optimize": {"type": "boolean", "default": true},
			"noDefault": {"type": "string"},
		},
	}`))
	require.NoError(t, err)

	opts, short, err := ParseOptions(json.RawMessage(`{"optimize": false, "extra-opt": "a\"$b", "version": "3.10"}`), nil)
	require.NoError(t, err)
	assert.Nil(t, short)
	assert.Equal(t, "VERSION=\"3.10\"\nPIP=\"false\"\nOPTIMIZE=\"false\"\nEXTRA_OPT=\"a\"$b\"\n", EnvFile(Values(md, opts, short)))

	opts, short, err = ParseOptions(json.RawMessage(`"3.12"`), nil)
	require.NoError(t, err)
	assert.Equal(t, "VERSION=\"3.12\"\nPIP=\"false\"\nOPTIMIZE=\"true\"\n", EnvFile(Values(md, opts, short)))

	opts, short, err = ParseOptions(json.RawMessage(`true`), nil)
	require.NoError(t, err)
	assert.Equal(t, "VERSION=\"true\"\nPIP=\"false\"\nOPTIMIZE=\"true\"\n", EnvFile(Values(md, opts, short)))

	opts, _, err = ParseOptions(json.RawMessage(`{"version": "${localEnv:V}"}`), func(string) string { return "9" })
	require.NoError(t, err)
	assert.JSONEq(t, `"9"`, string(opts[0].Value))
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Ref
		err  string
	}{
		{in: "ghcr.io/devcontainers/features/go:1", want: Ref{Type: OCI, ID: "go", Registry: "ghcr.io", Repository: "devcontainers/features/go", Tag: "1"}},
		{in: "localhost:5000/ns/Feat", want: Ref{Type: OCI, ID: "feat", Registry: "localhost:5000", Repository: "ns/feat", Tag: "latest"}},
		{in: "127.0.0.1:5000/ns/f@sha256:" + sha, want: Ref{Type: OCI, ID: "f", Registry: "127.0.0.1:5000", Repository: "ns/f", Digest: "sha256:" + sha}},
		{in: "./fa", want: Ref{Type: Local, ID: "fa", Path: "fa"}},
		{in: "./sub/../fb/", want: Ref{Type: Local, ID: "fb", Path: "fb"}},
		{in: "https://example.com/x/devcontainer-feature-hello.tgz", want: Ref{Type: Tarball, ID: "hello", URL: "https://example.com/x/devcontainer-feature-hello.tgz"}},
		{in: "../outside", err: "inside the devcontainer.json folder"},
		{in: "/abs", err: "absolute paths"},
		{in: "node", err: "legacy Feature ids are not supported"},
		{in: "https://example.com/feature.tgz", err: "devcontainer-feature-<id>.tgz"},
		{in: "ghcr.io/x/y@sha512:abc", err: "only sha256"},
	} {
		got, err := ParseRef(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		tc.want.UserID = tc.in
		assert.Equal(t, tc.want, got, tc.in)
	}
}

const sha = "0bb92d2d6bd3b04d4aa1ed0a8c2dae53c24b8a3e0ba9f1c5a3c3d6e1f0a9dfd1"
