package imagecache

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadInputFailsOnceAtItsPlace runs the devcache binary, as a runner
// host does, on configurations that cannot be built. Each fails before any
// build starts, once: the exact devcontainer.json:L:C of the property with
// the lines around it, one error line (no "cache skipped" warning, no
// doomed build), the documented exit status, one JSON object (outcome
// "error", message, position, phase), a registry error naming its
// reference once, nothing pushed through the proxy and no container left.
func TestBadInputFailsOnceAtItsPlace(t *testing.T) {
	c := newCLI(t)
	reg := c.s.Registry
	// A registry that is down: a port that was listening and is closed.
	down := closedPort(t)
	cases := []struct {
		name   string
		config string
		files  map[string]string
		// line and column of the property; the excerpt holds quote.
		line, column int
		quote        string
		exit         int
		// ref, when set, must be named exactly once in the message.
		ref  string
		want string
	}{{
		name:   "missing Dockerfile",
		config: "{\n  \"name\": \"x\",\n  \"build\": {\n    \"dockerfile\": \"Nope.Dockerfile\"\n  }\n}\n",
		line:   4, column: 5, quote: `"dockerfile": "Nope.Dockerfile"`, exit: 3,
		want: "build.dockerfile",
	}, {
		name:   "Feature tag that does not exist",
		config: fmt.Sprintf("{\n  \"image\": %q,\n  \"features\": {\n    \"%s/features/nope:9.9.9\": {}\n  }\n}\n", reg+"/base/busybox:latest", reg),
		line:   4, column: 5, quote: reg + "/features/nope:9.9.9", exit: 3,
		ref: reg + "/features/nope:9.9.9", want: "features",
	}, {
		name:   "registry that is down",
		config: fmt.Sprintf("{\n  \"image\": %q,\n  \"features\": {\n    \"%s/features/hello:1\": {}\n  }\n}\n", reg+"/base/busybox:latest", down),
		line:   4, column: 5, quote: down + "/features/hello:1", exit: 4,
		ref: down + "/features/hello:1", want: "features",
	}, {
		name:   "missing local Feature folder",
		config: fmt.Sprintf("{\n  \"image\": %q,\n  \"features\": {\n    \"./missing\": {\"greeting\": \"hi\"}\n  }\n}\n", reg+"/base/busybox:latest"),
		line:   4, column: 5, quote: `"./missing"`, exit: 3,
		want: "features",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, map[string]string{".devcontainer/devcontainer.json": tc.config})
			project := fmt.Sprintf("bad-%d", time.Now().UnixNano())
			r := c.build(t, dir, project)

			assert.Equal(t, tc.exit, r.exit, "exit status\n%s", r.stderr)
			assert.Equal(t, "error", string(r.res.Outcome))
			assert.Equal(t, tc.exit, r.res.ExitCode)
			assert.Equal(t, "key", r.res.Phase, "it failed computing the key, before any build")
			require.NotNil(t, r.res.Position, "a position in the JSON: %+v", r.res)
			assert.Equal(t, "devcontainer.json", r.res.Position.File)
			assert.Equal(t, tc.line, r.res.Position.Line)
			assert.Equal(t, tc.column, r.res.Position.Column)
			place := fmt.Sprintf("devcontainer.json:%d:%d", tc.line, tc.column)
			assert.True(t, strings.HasPrefix(r.res.Message, place), "message starts with %s: %s", place, r.res.Message)
			assert.Contains(t, r.res.Message, tc.want)
			if tc.ref != "" {
				// The place names the property (features["<ref>"]); the
				// registry's error after it names the reference once.
				prop := fmt.Sprintf("%s: features[%q]: ", place, tc.ref)
				require.True(t, strings.HasPrefix(r.res.Message, prop), "the property: %s", r.res.Message)
				assert.Equal(t, 1, strings.Count(strings.TrimPrefix(r.res.Message, prop), tc.ref), "the registry error names the reference once: %s", r.res.Message)
			}

			// stderr: one error line with the place, the excerpt, no
			// warning, no build.
			assert.Equal(t, 1, strings.Count(r.stderr, "devcache: "), "one error:\n%s", r.stderr)
			assert.Contains(t, r.stderr, "devcache: "+place)
			assert.Contains(t, r.stderr, tc.quote, "the excerpt")
			assert.Regexp(t, fmt.Sprintf(`(?m)^\s*%d \|\s*>>>`, tc.line), r.stderr, "the excerpt marks line %d", tc.line)
			for _, not := range []string{"level=warning", "cache was skipped", "could not compute", "built the dev container", "building the dev container"} {
				assert.NotContains(t, r.stderr, not)
			}
			assert.NotContains(t, r.res.Phases, "build")
			assert.NotContains(t, r.res.Phases, "lookup")
			assert.False(t, r.res.Pushed)

			// Nothing reached the cache, nothing runs.
			assert.NotContains(t, c.proxy.Log(), "/projects/"+project+"/", "no request for the project's repositories")
			ctrs, err := c.cc.Containers(namespaces.WithNamespace(t.Context(), c.ns))
			require.NoError(t, err)
			assert.Empty(t, ctrs, "no container left")
			imgs, err := c.cc.ImageService().List(namespaces.WithNamespace(t.Context(), c.ns))
			require.NoError(t, err)
			assert.Empty(t, imgs, "no image imported")
		})
	}
}

// closedPort returns 127.0.0.1:<port> of a listener that was closed.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
