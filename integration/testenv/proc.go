package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Proc is a daemon a test started (its own containerd, a plugin, a proxy);
// it is stopped by PID when the test ends.
type Proc struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

// StartProc runs name with args and env in its own process group, its
// output in logPath, and stops it (SIGTERM, then SIGKILL after 15 s) in
// tb's cleanup.
func StartProc(tb testing.TB, logPath string, env []string, name string, args ...string) *Proc {
	tb.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", name, err)
	}
	p := &Proc{cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); _ = f.Close() }()
	tb.Cleanup(func() { p.Stop(tb, syscall.SIGTERM) })
	return p
}

// Stop signals the process and waits for it (SIGKILL after 15 s). Stopping
// a stopped process does nothing.
func (p *Proc) Stop(tb testing.TB, sig syscall.Signal) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		tb.Logf("%s stopped: %v", filepath.Base(p.cmd.Path), err)
	case <-time.After(15 * time.Second):
		tb.Logf("%s did not stop on %v, killing", p.cmd.Path, sig)
		_ = p.cmd.Process.Kill()
		tb.Logf("%s killed: %v", filepath.Base(p.cmd.Path), <-p.done)
	}
}

// Log returns what the process wrote so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// WaitSocket waits up to 30 s for the process to listen on the unix
// socket path, failing the test with its log if it exits or never does.
func (p *Proc) WaitSocket(tb testing.TB, path string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			_ = c.Close()
			return
		}
		select {
		case err := <-p.done:
			p.done <- err
			tb.Fatalf("%s exited: %v\n%s", p.cmd.Path, err, p.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
	tb.Fatalf("%s never listened on %s\n%s", p.cmd.Path, path, p.Log())
}

// RunWithBinary is a TestMain for packages whose tests run one of
// devcache's binaries: it builds the main package pkg once into *dst,
// runs the tests, and removes the build. Without root or under -short (the
// tests skip through Get) it builds nothing.
func RunWithBinary(m *testing.M, dst *string, pkg string) int {
	return RunWithBinaries(m, map[string]*string{pkg: dst})
}

// RunWithBinaries is RunWithBinary for several main packages (package
// path → where to put the binary's path).
func RunWithBinaries(m *testing.M, bins map[string]*string) int {
	if testing.Short() || os.Geteuid() != 0 {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "devcache-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for pkg, dst := range bins {
		*dst = filepath.Join(dir, filepath.Base(pkg))
		build := exec.Command("go", "build", "-o", *dst, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", pkg, err)
			return 1
		}
	}
	return m.Run()
}
