// Package testenv hands integration tests the real stack: buildkitd (OCI
// worker, runc, overlayfs), a distribution registry and containerd, started
// by hack/stack under one state directory.
//
// The stack is brought up at most once per test binary; a stack that is
// already running (hack/stack up from a shell, or another test binary) is
// reused. Under `go test -short` every test that asks for it is skipped.
package testenv

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stack is the address book of a running stack.
type Stack struct {
	// BuildkitHost is buildkitd's address (unix://…), as buildctl's --addr takes it.
	BuildkitHost string
	// ContainerdAddress is containerd's gRPC socket path.
	ContainerdAddress string
	// Registry is the plain-HTTP distribution registry as host:port.
	Registry string
	// TLSRegistry is the stack's second distribution registry, served over
	// TLS with a certificate from the stack's private CA, as host:port.
	TLSRegistry string
	// TLSCA is that private CA's certificate (PEM): buildkitd and the
	// stack's containerd trust it for TLSRegistry, nothing else does.
	TLSCA string
	// State is the stack's state directory (sockets, data, logs).
	State string
	// ToolsBin holds buildctl, buildx, ctr, registry and the other pinned tools.
	ToolsBin string
	// DockerConfig is the DOCKER_CONFIG with buildx installed as a CLI plugin.
	DockerConfig string
	// RepoRoot is the root of the devcache checkout.
	RepoRoot string
}

// BusyboxImage is the multi-layer busybox image hack/base-images pushes.
func (s *Stack) BusyboxImage() string { return s.Registry + "/base/busybox:latest" }

// DebianImage is the debootstrap bookworm minbase image hack/base-images pushes.
func (s *Stack) DebianImage() string { return s.Registry + "/base/debian:bookworm" }

// Env returns os.Environ() plus the stack's variables and the tools on PATH,
// for running buildctl, docker buildx or ctr against the stack.
func (s *Stack) Env() []string {
	env := append(os.Environ(),
		"BUILDKIT_HOST="+s.BuildkitHost,
		"CONTAINERD_ADDRESS="+s.ContainerdAddress,
		"DEVCACHE_REGISTRY="+s.Registry,
		"DEVCACHE_STATE="+s.State,
		"DOCKER_CONFIG="+s.DockerConfig,
		"PATH="+s.ToolsBin+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	return env
}

// Command returns an exec.Cmd for name (looked up in ToolsBin first) with the
// stack's environment.
func (s *Stack) Command(name string, args ...string) *exec.Cmd {
	path := name
	if p := filepath.Join(s.ToolsBin, name); fileExists(p) {
		path = p
	}
	cmd := exec.Command(path, args...)
	cmd.Env = s.Env()
	return cmd
}

var (
	once     sync.Once
	shared   *Stack
	upErr    error
	upOutput string
)

// Get returns the running stack, bringing it up with hack/stack up on first
// use. It skips the test under -short and fails it when the stack cannot be
// brought up (the error names hack/stack's log).
func Get(tb testing.TB) *Stack {
	tb.Helper()
	if testing.Short() {
		tb.Skip("integration test: needs the real stack (buildkitd, registry, containerd); run without -short, as root")
	}
	if os.Geteuid() != 0 {
		tb.Skip("integration test: needs root for buildkitd, containerd and overlayfs")
	}
	once.Do(func() { shared, upErr = up() })
	if upErr != nil {
		tb.Fatalf("bringing the stack up: %v\n%s", upErr, upOutput)
	}
	return shared
}

func up() (*Stack, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "hack", "stack"), "up")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		upOutput = stderr.String()
		return nil, fmt.Errorf("hack/stack up: %w", err)
	}
	vars := parseExports(stdout.Bytes())
	s := &Stack{
		BuildkitHost:      vars["BUILDKIT_HOST"],
		ContainerdAddress: vars["CONTAINERD_ADDRESS"],
		Registry:          vars["DEVCACHE_REGISTRY"],
		TLSRegistry:       vars["DEVCACHE_TLS_REGISTRY"],
		TLSCA:             vars["DEVCACHE_TLS_CA"],
		State:             vars["DEVCACHE_STATE"],
		ToolsBin:          vars["DEVCACHE_TOOLS_BIN"],
		DockerConfig:      vars["DOCKER_CONFIG"],
		RepoRoot:          root,
	}
	if s.BuildkitHost == "" || s.ContainerdAddress == "" || s.Registry == "" || s.TLSRegistry == "" || s.TLSCA == "" || s.ToolsBin == "" {
		upOutput = stdout.String()
		return nil, fmt.Errorf("hack/stack up printed incomplete exports")
	}
	return s, nil
}

// parseExports reads `export NAME=value` lines (values optionally quoted).
func parseExports(b []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vars[k] = strings.Trim(v, `"'`)
	}
	return vars
}

// repoRoot finds the checkout root from this source file's location, so
// tests in any package find hack/stack.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate testenv source")
	}
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if !fileExists(filepath.Join(root, "hack", "stack")) {
		return "", fmt.Errorf("hack/stack not found under %s", root)
	}
	return root, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var (
	frontendOnce sync.Once
	frontendErr  error
	frontendOut  string
)

// FrontendImage returns the devcache-frontend image built from the current
// source and pushed to the stack's registry (hack/images --push frontend,
// once per test binary; bake's cache makes an unchanged rebuild quick).
func (s *Stack) FrontendImage(tb testing.TB) string {
	tb.Helper()
	frontendOnce.Do(func() {
		cmd := exec.Command(filepath.Join(s.RepoRoot, "hack", "images"), "--push", "frontend")
		cmd.Dir = s.RepoRoot
		out, err := cmd.CombinedOutput()
		frontendErr, frontendOut = err, string(out)
	})
	if frontendErr != nil {
		tb.Fatalf("building the frontend image: %v\n%s", frontendErr, frontendOut)
	}
	return s.Registry + "/devcache/frontend:dev"
}

// StartBuildkitd starts a buildkitd of the test's own (OCI worker, runc,
// overlayfs) with an empty cache, as a fresh runner host has, and returns
// its address. It is stopped by PID when the test ends.
func (s *Stack) StartBuildkitd(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir() // removed after the cleanup below has stopped buildkitd
	sock := filepath.Join(dir, "buildkitd.sock")
	cfg := filepath.Join(dir, "buildkitd.toml")
	conf := fmt.Sprintf("root = %q\n[grpc]\n  address = [\"unix://%s\"]\n[worker.oci]\n  enabled = true\n  snapshotter = \"overlayfs\"\n  binary = \"runc\"\n  gc = false\n[worker.containerd]\n  enabled = false\n",
		filepath.Join(dir, "root"), sock)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := s.Command("buildkitd", "--config", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting buildkitd: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logf.Close()
		_ = exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
	})
	addr := "unix://" + sock
	for range 300 {
		if err := s.Command("buildctl", "--addr", addr, "debug", "workers").Run(); err == nil {
			return addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(logf.Name())
	tb.Fatalf("buildkitd did not start:\n%s", log)
	return ""
}
