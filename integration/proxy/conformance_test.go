package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/integration/testenv"
	"github.com/devcache/devcache/internal/contract"
)

// conformanceToggles switches off exactly what the embedded distribution
// v3.1.2 backend cannot pass on its own (research/registry.md §0.2, §3.4);
// everything else runs through the proxy with a create credential.
var conformanceToggles = map[string]string{
	"OCI_API_REFERRER":          "false", // distribution v3.1.2 has no referrers API (distribution#4828)
	"OCI_DATA_SUBJECT":          "false", // no OCI-Subject handling without referrers
	"OCI_DATA_SUBJECT_MISSING":  "false", // same
	"OCI_DATA_SUBJECT_LIST":     "false", // same
	"OCI_DATA_SHA512":           "false", // distribution stores sha512 uploads under sha256
	"OCI_DATA_INDEX":            "false", // distribution fails the index tag-list data set
	"OCI_DATA_NONDISTRIBUTABLE": "false", // distribution answers 500 for non-distributable layers
}

// TestConformance runs the OCI distribution-spec conformance runner
// (pinned in the stack's tools) against the proxy. Deletes are refused by
// policy (405); the runner records those tests as skipped, not failed.
func TestConformance(t *testing.T) {
	s := testenv.Get(t)
	p := startProxy(t, nil)
	cred := p.credential("conformance", contract.PurposeCreate)
	results := t.TempDir()
	cmd := s.Command("conformance")
	cmd.Dir = results
	cmd.Env = append(cmd.Env,
		"OCI_REGISTRY="+p.Host, "OCI_TLS=disabled",
		"OCI_REPO1=projects/conformance/image-build", "OCI_REPO2=projects/conformance/prebuild",
		"OCI_USERNAME="+cred.Username, "OCI_PASSWORD="+cred.Password,
		"OCI_RESULTS_DIR="+filepath.Join(results, "results"),
	)
	for k, v := range conformanceToggles {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.WriteFile(filepath.Join(results, "output.txt"), out, 0o644)
	}
	require.NoError(t, err, "conformance failed:\n%s", tail(string(out), 120))
	require.Contains(t, string(out), "OCI Conformance Result: Pass")
	require.Contains(t, string(out), "Blob mount....................:       Pass")
	require.Contains(t, string(out), "Blob chunked..................:       Pass")
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
