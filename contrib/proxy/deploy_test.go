package proxy_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/unit"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/devcache/devcache/registryproxy/config"
)

// manifests are the kustomize base's files, decoded strictly.
type manifests struct {
	deployment appsv1.Deployment
	service    corev1.Service
	configMap  corev1.ConfigMap
	secret     corev1.Secret
	namespace  corev1.Namespace
	pdb        policyv1.PodDisruptionBudget
}

// kustomization is the part of kustomize's Kustomization type the base uses.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name   string `json:"name"`
		NewTag string `json:"newTag"`
	} `json:"images"`
}

func decodeStrict(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, into), path)
}

func load(t *testing.T) (*manifests, kustomization) {
	t.Helper()
	dir := "kubernetes"
	var k kustomization
	decodeStrict(t, filepath.Join(dir, "kustomization.yaml"), &k)
	require.Equal(t, "Kustomization", k.Kind)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		if e.Name() != "kustomization.yaml" {
			files = append(files, e.Name())
		}
	}
	slices.Sort(files)
	listed := slices.Clone(k.Resources)
	slices.Sort(listed)
	require.Equal(t, files, listed, "every manifest is a resource of the kustomization, and every resource exists")

	m := &manifests{}
	targets := map[string]any{
		"Deployment": &m.deployment, "Service": &m.service, "ConfigMap": &m.configMap,
		"Secret": &m.secret, "Namespace": &m.namespace, "PodDisruptionBudget": &m.pdb,
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		var probe struct {
			Kind string `json:"kind"`
		}
		require.NoError(t, yaml.Unmarshal(b, &probe), f)
		into, ok := targets[probe.Kind]
		require.True(t, ok, "%s: unexpected kind %q", f, probe.Kind)
		require.NoError(t, yaml.UnmarshalStrict(b, into), f)
		delete(targets, probe.Kind)
	}
	require.Empty(t, targets, "kinds missing from the base")
	return m, k
}

func port(t *testing.T, hostport string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	require.NoError(t, err, hostport)
	n, err := net.LookupPort("tcp", p)
	require.NoError(t, err)
	return int32(n)
}

func TestKubernetesBase(t *testing.T) {
	m, k := load(t)
	require.Equal(t, m.namespace.Name, k.Namespace)

	d := m.deployment
	require.NotNil(t, d.Spec.Replicas)
	require.EqualValues(t, 3, *d.Spec.Replicas, "three replicas")
	require.Len(t, d.Spec.Template.Spec.Containers, 1)
	c := d.Spec.Template.Spec.Containers[0]
	require.True(t, slices.ContainsFunc(k.Images, func(i struct {
		Name   string `json:"name"`
		NewTag string `json:"newTag"`
	}) bool {
		return strings.HasPrefix(c.Image, i.Name)
	}), "the kustomization's images entry names the container image")

	// The configuration the ConfigMap carries is valid for the proxy.
	toml, ok := m.configMap.Data["config.toml"]
	require.True(t, ok, "the ConfigMap carries config.toml")
	cfg := config.Default()
	require.NoError(t, config.Parse([]byte(toml), cfg))
	require.NoError(t, cfg.Finish())

	// The container reads that file.
	i := slices.Index(c.Args, "--config")
	require.GreaterOrEqual(t, i, 0, "serve gets --config")
	confPath := c.Args[i+1]
	require.Equal(t, "serve", c.Args[0])

	mountOf := func(path string) (corev1.VolumeMount, corev1.Volume) {
		t.Helper()
		best := -1
		for j, vm := range c.VolumeMounts {
			if (path == vm.MountPath || strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/")) &&
				(best < 0 || len(vm.MountPath) > len(c.VolumeMounts[best].MountPath)) {
				best = j
			}
		}
		require.GreaterOrEqual(t, best, 0, "%s is on no volume", path)
		vm := c.VolumeMounts[best]
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name == vm.Name {
				return vm, v
			}
		}
		t.Fatalf("volume %s is not declared", vm.Name)
		return vm, corev1.Volume{}
	}
	vm, v := mountOf(confPath)
	require.NotNil(t, v.ConfigMap, "%s comes from the ConfigMap", confPath)
	require.Equal(t, m.configMap.Name, v.ConfigMap.Name)
	require.Equal(t, "config.toml", vm.SubPath)

	// Every file the configuration names comes from the keys Secret, and the Secret has it.
	files := []string{cfg.Auth.KeysFile}
	for _, f := range adminTLSFiles(t, toml) {
		files = append(files, f)
	}
	for _, f := range files {
		vm, v := mountOf(f)
		require.NotNil(t, v.Secret, "%s comes from a Secret", f)
		require.Equal(t, m.secret.Name, v.Secret.SecretName)
		require.True(t, vm.ReadOnly)
		rel := strings.TrimPrefix(f, strings.TrimSuffix(vm.MountPath, "/")+"/")
		_, ok := m.secret.StringData[rel]
		require.True(t, ok, "the Secret carries %s", rel)
	}

	// The state directory is writable (the root filesystem is read-only).
	require.NotNil(t, c.SecurityContext.ReadOnlyRootFilesystem)
	require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem)
	svm, sv := mountOf(cfg.Server.StateDir + "/x")
	require.False(t, svm.ReadOnly)
	require.NotNil(t, sv.EmptyDir)

	// Ports: the listeners of the configuration are the container's named ports.
	named := map[string]int32{}
	for _, p := range c.Ports {
		named[p.Name] = p.ContainerPort
	}
	require.Equal(t, port(t, cfg.Server.Addr), named["registry"])
	require.Equal(t, port(t, cfg.Server.DebugAddr), named["debug"])
	require.Equal(t, port(t, cfg.Server.AdminAddr), named["admin"])

	// Liveness and readiness are apart, both on the debug listener.
	require.NotNil(t, c.LivenessProbe.HTTPGet)
	require.NotNil(t, c.ReadinessProbe.HTTPGet)
	require.Equal(t, "/debug/health", c.LivenessProbe.HTTPGet.Path)
	require.Equal(t, "/debug/ready", c.ReadinessProbe.HTTPGet.Path)
	require.Equal(t, "debug", c.LivenessProbe.HTTPGet.Port.String())
	require.Equal(t, "debug", c.ReadinessProbe.HTTPGet.Port.String())

	// SIGTERM drains before the kubelet kills.
	require.NotNil(t, d.Spec.Template.Spec.TerminationGracePeriodSeconds)
	require.Greater(t, float64(*d.Spec.Template.Spec.TerminationGracePeriodSeconds), cfg.Server.DrainTimeout.Seconds())

	// The Service and the PDB select the Deployment's pods, by the container's port names.
	pod := d.Spec.Template.Labels
	for kk, vv := range d.Spec.Selector.MatchLabels {
		require.Equal(t, vv, pod[kk])
	}
	for kk, vv := range m.service.Spec.Selector {
		require.Equal(t, vv, pod[kk], "service selector %s", kk)
	}
	for _, sp := range m.service.Spec.Ports {
		_, ok := named[sp.TargetPort.String()]
		require.True(t, ok, "service port %s targets a container port", sp.Name)
	}
	for kk, vv := range m.pdb.Spec.Selector.MatchLabels {
		require.Equal(t, vv, pod[kk], "pdb selector %s", kk)
	}
	require.NotNil(t, m.pdb.Spec.MinAvailable)
	require.Less(t, m.pdb.Spec.MinAvailable.IntValue(), int(*d.Spec.Replicas), "a node drain can proceed")
}

// adminTLSFiles lists the file paths of [server.admin_tls], read from the TOML
// text so the test does not depend on the struct's Go names.
func adminTLSFiles(t *testing.T, toml string) []string {
	t.Helper()
	var files []string
	in := false
	for _, line := range strings.Split(toml, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			in = line == "[server.admin_tls]"
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if c := strings.Index(v, "#"); c >= 0 {
			v = strings.TrimSpace(v[:c])
		}
		if strings.TrimSpace(k) != "client_auth" {
			files = append(files, strings.Trim(v, `"`))
		}
	}
	return files
}

func readUnit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	opts, err := unit.DeserializeOptions(bytes.NewReader(b))
	require.NoError(t, err, path)
	out := map[string]map[string][]string{}
	for _, o := range opts {
		if out[o.Section] == nil {
			out[o.Section] = map[string][]string{}
		}
		out[o.Section][o.Name] = append(out[o.Section][o.Name], o.Value)
	}
	return out
}

func TestSystemdUnits(t *testing.T) {
	units, err := filepath.Glob("systemd/*")
	require.NoError(t, err)
	require.Len(t, units, 4)
	for _, u := range units {
		s := readUnit(t, u)
		require.NotEmpty(t, s["Unit"]["Description"], u)
		switch filepath.Ext(u) {
		case ".timer":
			require.Equal(t, []string{"timers.target"}, s["Install"]["WantedBy"], u)
			require.FileExists(t, strings.TrimSuffix(u, ".timer")+".service", "the timer's service")
		case ".service":
			require.Len(t, s["Service"]["ExecStart"], 1, u)
			require.True(t, strings.HasPrefix(s["Service"]["ExecStart"][0], "/usr/local/bin/devcache"), u)
		}
	}
	serve := readUnit(t, "systemd/devcache-proxy.service")
	require.Contains(t, serve["Service"]["ExecStart"][0], " serve --config /etc/devcache-proxy/config.toml")
	require.Equal(t, []string{"SIGTERM"}, serve["Service"]["KillSignal"])
	gc := readUnit(t, "systemd/devcache-proxy-gc.service")
	require.Equal(t, []string{"oneshot"}, gc["Service"]["Type"])
}

// The snapshotter's unit orders itself before containerd without binding
// containerd to it, as stargz-snapshotter's unit does: restarting the plugin
// must not restart containerd, and a failed plugin start must not keep
// containerd down.
func TestSnapshotterUnitDoesNotBindContainerd(t *testing.T) {
	s := readUnit(t, "../snapshotter/devcache-snapshotter.service")
	require.Contains(t, s["Unit"]["Before"], "containerd.service")
	require.Equal(t, []string{"multi-user.target"}, s["Install"]["WantedBy"])
	for _, binding := range []string{"RequiredBy", "Requires", "BindsTo", "PartOf"} {
		require.Empty(t, s["Install"][binding], binding)
		require.Empty(t, s["Unit"][binding], binding)
	}
}
