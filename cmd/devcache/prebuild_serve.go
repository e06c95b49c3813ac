//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/gitsync"
	"github.com/devcache/devcache/prebuild/runner"
	"github.com/devcache/devcache/prebuild/status"
	"github.com/devcache/devcache/prebuild/trigger"
	"github.com/devcache/devcache/registryproxy/lease"
)

func newPrebuildServeCommand() *cobra.Command {
	var (
		o        prebuildOptions
		req      prebuildRequest
		creator  string
		at       string
		config   string
		httpAddr string
		holder   string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run prebuilds on push (--projects) and every day, with a status page (--http-addr), until stopped",
		Long: `With --projects, serve reads a TOML file of projects (remote, branches as
globs, environment classes, creator, optional daily schedule and polling)
and runs their prebuilds on push: POST /hooks/push takes GitHub and GitLab
push events signed with HMAC-SHA256 (a bad or missing signature is 401 and
nothing runs), and polled projects are asked with git ls-remote. Bursts are
debounced into one prebuild of the newest commit; each prebuild builds on
the class's current snapshot when the Dev Container key is unchanged
(incremental), else in full. One prebuild per class runs at a time across
runner hosts (a lease); a later trigger waits, newest commit first.

--http-addr serves the webhook and a read-only status page (/, and
/api/prebuilds as JSON).

Without --projects, serve runs the daily prebuild of one project and class
at --at (UTC), as before.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return serveDaily(cmd, &o, &req, creator, at)
			}
			return serveConfig(cmd.Context(), &o, config, httpAddr, holder)
		},
	}
	o.register(cmd.Flags())
	req.register(cmd)
	f := cmd.Flags()
	f.StringVar(&creator, "creator", os.Getenv("DEVCACHE_PROJECT_CREATOR"), "the project's creator: scheduled prebuilds run as them ($DEVCACHE_PROJECT_CREATOR; without --projects)")
	f.StringVar(&at, "at", "03:00", "time of day (UTC, HH:MM) of the daily prebuild (without --projects)")
	f.StringVar(&config, "projects", "", "projects to prebuild on push (TOML, see docs/prebuild.md)")
	f.StringVar(&httpAddr, "http-addr", "", "address of the webhook and the status page (e.g. 127.0.0.1:8080)")
	hn, _ := os.Hostname()
	f.StringVar(&holder, "holder", hn, "this runner host's name in the class leases")
	// The single-project flags are only needed without --projects.
	for _, n := range []string{"project", "environment-class"} {
		delete(f.Lookup(n).Annotations, cobra.BashCompOneRequiredFlag)
	}
	return cmd
}

// serveDaily is the single-project daily loop.
func serveDaily(cmd *cobra.Command, o *prebuildOptions, req *prebuildRequest, creator, at string) error {
	ctx := cmd.Context()
	if req.project == "" || req.class == "" || creator == "" {
		return errors.New("without --projects, --project, --environment-class and --creator are required")
	}
	tod, err := prebuild.ParseAt(at)
	if err != nil {
		return err
	}
	for {
		next := prebuild.NextRun(time.Now(), tod)
		log.G(ctx).Info("next scheduled prebuild", "at", next, "project", req.project, "class", req.class)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(next)):
		}
		if err := scheduled(ctx, cmd, o, req, creator, tod); err != nil {
			log.G(ctx).Error("schedule", "error", err)
		}
	}
}

// serveConfig runs the push triggers of the configured projects.
func serveConfig(ctx context.Context, o *prebuildOptions, path, httpAddr, holder string) error {
	cfg, err := trigger.LoadConfig(path)
	if err != nil {
		return err
	}
	var secret []byte
	if cfg.WebhookSecretFile != "" {
		b, err := os.ReadFile(cfg.WebhookSecretFile)
		if err != nil {
			return fmt.Errorf("webhook_secret_file: %w", err)
		}
		secret = []byte(strings.TrimSpace(string(b)))
	}
	cat, err := o.catalog()
	if err != nil {
		return err
	}
	pr := &pushRunner{o: o, cfg: cfg}
	d := &trigger.Dispatcher{Lease: o.lease(ctx), Holder: holder, TTL: cfg.LeaseTTL.Duration, Run: pr.run, Catalog: cat}
	svc := &trigger.Service{Config: cfg, Secret: secret, Dispatcher: d, Catalog: cat}
	if httpAddr != "" {
		var ids []string
		for _, p := range cfg.Projects {
			ids = append(ids, p.ID)
		}
		mux := http.NewServeMux()
		mux.Handle("/hooks/", svc.Handler())
		mux.Handle("/", status.Handler(&status.Collector{Projects: ids, Source: cat, Jobs: d.Jobs}))
		ln, err := net.Listen("tcp", httpAddr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
		log.G(ctx).Info("serving the webhook and the status page", "addr", ln.Addr().String())
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
	}
	return svc.Serve(ctx)
}

// pushRunner runs a dispatched prebuild: a checkout of the commit, then an
// incremental prebuild (full when the key changed).
type pushRunner struct {
	o   *prebuildOptions
	cfg *trigger.Config
}

func (p *pushRunner) run(ctx context.Context, j trigger.Job) error {
	var pr *trigger.Project
	for i := range p.cfg.Projects {
		if p.cfg.Projects[i].ID == j.Project {
			pr = &p.cfg.Projects[i]
		}
	}
	if pr == nil {
		return fmt.Errorf("project %s is not configured", j.Project)
	}
	m, err := gitsync.OpenMirror(ctx, filepath.Join(p.o.stateDir, "git"), pr.Remote)
	if err != nil {
		return err
	}
	t, err := m.Resolve(ctx, j.Commit)
	if err != nil {
		return err
	}
	t.Branch = j.Branch
	work, err := os.MkdirTemp(filepath.Join(p.o.stateDir), "checkout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	ws := filepath.Join(work, repoName(pr.Remote))
	if err := m.Clone(ctx, ws, t); err != nil {
		return err
	}
	rn, cleanup, err := p.o.newRunner(ctx, pr.ID)
	if err != nil {
		return err
	}
	defer cleanup()
	res, err := rn.Run(ctx, runner.Request{
		Project: pr.ID, EnvironmentClass: j.Class, Commit: t.Commit, Trigger: j.Trigger, User: pr.Creator,
		WorkspaceFolder: ws, ConfigFile: filepath.Join(ws, filepath.FromSlash(pr.Config)), Incremental: true,
	})
	if res != nil {
		log.G(ctx).Info("push prebuild", "prebuild", res.Prebuild.ID, "phase", res.Prebuild.Phase, "commit", t.Commit, "parent", res.Prebuild.Parent)
	}
	return err
}

// repoName is the checkout folder a remote gets (as git clone names it).
func repoName(remote string) string {
	n := strings.TrimSuffix(path.Base(strings.TrimRight(remote, "/")), ".git")
	if n == "" || n == "." || n == "/" {
		return "workspace"
	}
	return n
}

// lease is where the class leases are held: devcache-proxy's lease
// endpoint with --proxy (every runner host against that proxy agrees),
// else this process (one runner host).
func (o *prebuildOptions) lease(ctx context.Context) trigger.Lease {
	if o.runner.proxy == "" {
		log.G(ctx).Warn("no --proxy: class leases are held in this process, so only this host is kept to one prebuild per class")
		return &trigger.LocalLease{}
	}
	return &trigger.ProxyLease{Client: func(ctx context.Context, project string) (*lease.Client, error) {
		c, err := o.credentials(ctx, project)
		if err != nil {
			return nil, err
		}
		return &lease.Client{Host: o.runner.proxy, Username: c.Username, Password: c.Password}, nil
	}}
}
