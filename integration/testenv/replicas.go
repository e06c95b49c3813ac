package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// S3Env is the stack's SeaweedFS bucket (DEVCACHE_STACK_S3=1 hack/stack up).
type S3Env struct {
	Endpoint, Region, Bucket, AccessKey, SecretKey string
}

// S3 returns the stack's bucket from the exports hack/stack printed, and
// skips the test when the stack runs without SeaweedFS.
func S3(tb testing.TB) S3Env {
	tb.Helper()
	ep := os.Getenv("DEVCACHE_S3_ENDPOINT")
	if ep == "" {
		tb.Skip("DEVCACHE_S3_ENDPOINT is unset: start the stack with DEVCACHE_STACK_S3=1 hack/stack up (hack/test does)")
	}
	return S3Env{Endpoint: ep, Region: os.Getenv("AWS_REGION"), Bucket: os.Getenv("DEVCACHE_S3_BUCKET"),
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}
}

// ReplicaOptions configure StartReplicas.
type ReplicaOptions struct {
	// Bin is the devcache-proxy binary.
	Bin string
	// N is the number of replicas (default 3).
	N int
	// S3 is the shared bucket; the replicas store under a prefix of the
	// test's own. Zero: each replica over its own filesystem (N must be 1).
	S3 S3Env
	// Extra is TOML appended to each replica's configuration.
	Extra string
}

// Replicas are `devcache-proxy serve` processes sharing one keys.json and
// one bucket, behind HAProxy (round robin, health-checked on /debug/ready,
// failed connections redispatched to another replica).
type Replicas struct {
	// Addr is HAProxy's host:port: what runners are given.
	Addr string
	// Addrs and DebugAddrs are the replicas' own listeners.
	Addrs, DebugAddrs []string
	// KeysFile is the shared key file; AdminSocks the replicas' admin endpoints.
	KeysFile   string
	AdminSocks []string
	// Prefix is the replicas' root directory in the bucket.
	Prefix string

	tb      testing.TB
	bin     string
	dir     string
	configs []string
	procs   []*Proc
	haproxy *Proc
}

// StartReplicas starts o.N replicas and HAProxy in front of them, stopped
// by PID when the test ends.
func StartReplicas(tb testing.TB, o ReplicaOptions) *Replicas {
	tb.Helper()
	if o.N == 0 {
		o.N = 3
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		tb.Skip("haproxy is not installed: run DEVCACHE_STACK_S3=1 hack/install-tools")
	}
	dir := tb.TempDir()
	r := &Replicas{tb: tb, bin: o.Bin, dir: dir, KeysFile: filepath.Join(dir, "keys.json"),
		Prefix: fmt.Sprintf("/%s-%d", strings.ReplaceAll(tb.Name(), "/", "-"), time.Now().UnixNano())}
	// One key set, made once and handed to every replica (in production: a
	// Kubernetes Secret or a file copied with mode 0600).
	if out, err := exec.Command(o.Bin, "keys", "rotate", "--state-dir", dir).CombinedOutput(); err != nil {
		tb.Fatalf("creating the key file: %v\n%s", err, out)
	}
	var servers strings.Builder
	for i := range o.N {
		state := filepath.Join(dir, fmt.Sprintf("replica-%d", i))
		addr, debug := freeTCP(tb), freeTCP(tb)
		cfg := fmt.Sprintf("version = 1\n[server]\naddr = %q\ndebug_addr = %q\nstate_dir = %q\nadmin_addr = %q\ndrain_timeout = \"5s\"\n[auth]\nkeys_file = %q\n",
			addr, debug, state, "unix:"+filepath.Join(state, "admin.sock"), r.KeysFile)
		if o.S3.Endpoint != "" {
			cfg += fmt.Sprintf("[backend]\ntype = \"embedded\"\n[backend.storage.s3]\nendpoint = %q\nregion = %q\nbucket = %q\nroot_directory = %q\naccess_key = %q\nsecret_key = %q\nforce_path_style = true\n",
				o.S3.Endpoint, o.S3.Region, o.S3.Bucket, r.Prefix, o.S3.AccessKey, o.S3.SecretKey)
		}
		cfg += o.Extra
		path := filepath.Join(dir, fmt.Sprintf("replica-%d.toml", i))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			tb.Fatal(err)
		}
		r.configs = append(r.configs, path)
		r.Addrs, r.DebugAddrs = append(r.Addrs, addr), append(r.DebugAddrs, debug)
		r.AdminSocks = append(r.AdminSocks, filepath.Join(state, "admin.sock"))
		r.procs = append(r.procs, nil)
		_, dport, _ := net.SplitHostPort(debug)
		fmt.Fprintf(&servers, "    server r%d %s check port %s inter 1s fall 3 rise 1\n", i, addr, dport)
	}
	for i := range o.N {
		r.Start(i)
	}
	r.Addr = freeTCP(tb)
	cfg := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout check 5s
    timeout client 120s
    timeout server 120s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend registry
    bind %s
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /debug/ready
%s`, r.Addr, servers.String())
	hcfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(hcfg, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	if out, err := exec.Command(haproxy, "-c", "-f", hcfg).CombinedOutput(); err != nil {
		tb.Fatalf("haproxy refuses its configuration: %v\n%s", err, out)
	}
	r.haproxy = StartProc(tb, filepath.Join(dir, "haproxy.log"), os.Environ(), haproxy, "-db", "-f", hcfg)
	r.waitHTTP(r.haproxy, "http://"+r.Addr+"/v2/", http.StatusUnauthorized)
	return r
}

// Start starts (or restarts) replica i and waits until it is ready.
func (r *Replicas) Start(i int) {
	r.tb.Helper()
	p := StartProc(r.tb, filepath.Join(r.dir, fmt.Sprintf("replica-%d-%d.log", i, time.Now().UnixNano())), os.Environ(),
		r.bin, "serve", "--config", r.configs[i], "--log-format", "json")
	r.procs[i] = p
	r.waitHTTP(p, "http://"+r.DebugAddrs[i]+"/debug/ready", http.StatusOK)
}

// Kill stops replica i with sig (SIGKILL: no drain, as a crash).
func (r *Replicas) Kill(i int, sig syscall.Signal) { r.procs[i].Stop(r.tb, sig) }

// Log is replica i's log (of its current run).
func (r *Replicas) Log(i int) string { return r.procs[i].Log() }

func (r *Replicas) waitHTTP(p *Proc, url string, want int) {
	r.tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			r.tb.Fatalf("%s exited: %v\n%s", p.cmd.Path, err, p.Log())
		case <-time.After(100 * time.Millisecond):
		}
	}
	r.tb.Fatalf("%s never answered %d on %s\n%s", p.cmd.Path, want, url, p.Log())
}

func freeTCP(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
