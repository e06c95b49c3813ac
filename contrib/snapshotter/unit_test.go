package snapshotter_test

import (
	"os"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
	"github.com/stretchr/testify/require"
)

// The plugin is ordered before containerd and wanted by multi-user.target
// only: restarting it does not restart containerd, and a failed start does
// not keep containerd down (no RequiredBy=, Requires=, BindsTo= or PartOf=
// on containerd.service).
func TestUnitIsWantedOnlyAndBeforeContainerd(t *testing.T) {
	f, err := os.Open("devcache-snapshotter.service")
	require.NoError(t, err)
	defer f.Close()
	opts, err := unit.DeserializeOptions(f)
	require.NoError(t, err)
	values := map[string][]string{}
	for _, o := range opts {
		values[o.Section+"."+o.Name] = append(values[o.Section+"."+o.Name], o.Value)
	}
	require.Contains(t, values["Unit.Before"], "containerd.service")
	require.Equal(t, []string{"multi-user.target"}, values["Install.WantedBy"])
	for _, k := range []string{"Install.RequiredBy", "Unit.Requires", "Unit.BindsTo", "Unit.PartOf", "Unit.Requisite"} {
		require.Empty(t, values[k], "%s ties the plugin's restarts to containerd", k)
	}
}
