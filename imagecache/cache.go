package imagecache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
)

// Cache is the Dev Container image cache of one runner.
type Cache struct {
	Keyer       Keyer
	Credentials Credentials
	Registry    Registry
	Builder     Builder
	// Runtime, when set, receives the image (pulled on a hit, imported after
	// a build); otherwise the runner uses Result.Image.
	Runtime Runtime
	// ProxyHost is the proxy's host:port, as image references name it.
	ProxyHost string
	// Disabled is the runner's cache switch: no lookup, no push.
	Disabled bool
	// Status, when set, receives the lines a person reads whatever the log
	// level (the hit line), as plain lines; nil logs them as records.
	Status io.Writer
	// LookupEnv answers ${localEnv:NAME} (nil: os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// OneBuild, when set, makes runners that miss the same key build it
	// once (a build lease in the proxy); rebuild runners never take one.
	OneBuild *OneBuild
	// Leases opens the lease endpoint for a credential source (nil: a
	// lease.Client on ProxyHost).
	Leases func(CredentialSource) Leases
	// NoRenewal uses the first credential of a Get until it expires
	// instead of renewing it (a test hook; see Renewing.Off).
	NoRenewal bool
}

// Request is one environment's ask for its image.
type Request struct {
	Workspace Workspace
	// Project is the environment's project; "" builds without the cache.
	Project string
	Purpose contract.Purpose
	// SkipImageCache skips lookup and push for this request
	// (--skip-image-cache).
	SkipImageCache bool
	// LocalName names the image in the runtime when it is not pushed.
	LocalName string
	// NoBuildCache builds without BuildKit's local cache, as a fresh runner
	// host would (BuildKit's no-cache).
	NoBuildCache bool

	vars Variables
}

// Get returns the image for req: from the cache on a hit, built otherwise.
func (c *Cache) Get(ctx context.Context, req Request) (*Result, error) {
	res := &Result{Phases: map[string]float64{}}
	err := c.get(ctx, req, res)
	if err != nil {
		res.Fail(err)
	}
	return res, err
}

func (c *Cache) get(ctx context.Context, req Request, res *Result) error {
	config, err := os.ReadFile(req.Workspace.Config)
	if err != nil {
		return failIn(PhaseConfig, fmt.Errorf("reading the configuration: %w", err))
	}
	req.vars = ReadVariables(req.Workspace, config, c.LookupEnv)
	code, reason, warning := c.bypassReason(req)
	var (
		creds *HostCredentials
		// src renews creds while the Get runs: the build, its push and
		// the pull ask it for every token.
		src *Renewing
	)
	if reason == "" {
		pctx, end := res.begin(ctx, PhaseCredentials)
		creds, err = c.Credentials.Issue(pctx, req.Project, req.Purpose)
		end(err)
		switch {
		case cerrdefs.IsPermissionDenied(err):
			// The proxy's cache switch is off: the runner's choice, not a fault.
			code, reason = ReasonProxyDisabled, fmt.Sprintf("building without the cache, no lookup, no push: %v", err)
		case err != nil:
			code, reason, warning = ReasonProxyUnreachable, fmt.Sprintf("devcache-proxy unreachable, building without the cache: %v", err), true
		}
	}
	if warning {
		reason = warn(ctx, res, "%s", reason)
	}
	if creds != nil {
		src = c.renewing(req, creds)
		defer func() { res.Renewals = src.Renewals() }()
	}

	// The key is computed even when the cache is bypassed: it resolves
	// every Feature and the image, so a configuration that cannot be built
	// fails here, once, before any build starts.
	var auth []HostCredentials
	if creds != nil {
		auth = []HostCredentials{*creds}
	}
	pctx, end := res.begin(ctx, PhaseKey)
	in, err := c.Keyer.Inputs(pctx, req.Workspace, req.vars, auth)
	end(err)
	if err != nil {
		return failIn(PhaseKey, err)
	}
	key := in.Key()
	res.Key = key.String()
	if reason != "" {
		return c.buildWithoutCache(ctx, req, res, code, reason)
	}
	ref := c.ProxyHost + "/" + contract.RepositoryName(req.Project, contract.KindImageBuild) + ":" + key.Encoded()

	pctx, end = res.begin(ctx, PhaseLookup)
	hit, err := c.lookup(pctx, ref, src)
	if cerrdefs.IsNotFound(err) {
		end(nil) // a miss, not a failure
	} else {
		end(err)
	}
	switch {
	case err == nil:
		return c.useHit(ctx, res, hit, src)
	case cerrdefs.IsNotFound(err):
		log.G(ctx).Info("no cached dev container image", "key", res.Key, "ref", ref)
	default:
		return c.buildWithoutCache(ctx, req, res, ReasonLookupFailed, warn(ctx, res, "cache lookup failed, building without the cache: %v", err))
	}

	res.Outcome = OutcomeMiss
	t := time.Now()
	res.CacheFrom = c.cacheSources(ctx, req.Project, in, src)
	res.phase("cache-sources", t)
	imports := make([]string, 0, len(res.CacheFrom))
	for _, s := range res.CacheFrom {
		imports = append(imports, s.Cache)
		log.G(ctx).Info("reusing the build cache of an earlier image of the project", "image", s.Image, "why", s.Why, "differs", strings.Join(s.Differs, ","))
	}
	if !req.Purpose.MayPush() {
		res.ReasonCode, res.Reason = ReasonPullOnly, "rebuild credentials are pull-only: the image is built but not pushed to the cache"
		log.G(ctx).Info(res.Reason)
		return c.build(ctx, req, res, buildTarget{auth: src, imports: imports})
	}
	if c.OneBuild != nil {
		held, hit := c.awaitBuilder(ctx, res, req.Project, ref, key.Encoded(), src)
		if hit != nil {
			return c.useHit(ctx, res, hit, src)
		}
		if held != nil {
			defer func() { _ = held.Release(context.WithoutCancel(ctx)) }()
		}
	}
	err = c.build(ctx, req, res, buildTarget{push: ref, cacheExport: ref + CacheTagSuffix, auth: src, imports: imports})
	if err != nil && isPushError(err) {
		res.ReasonCode, res.Reason = ReasonPushRefused, warn(ctx, res, "push to the cache refused, using the image without caching it: %v", err)
		return c.build(ctx, req, res, buildTarget{auth: src, imports: imports})
	}
	return err
}

// buildTarget is what a build pushes and reads besides its context.
type buildTarget struct {
	// push and cacheExport are the cache references ("" for none).
	push, cacheExport string
	// auth is the proxy's renewing credential (nil: anonymous).
	auth    CredentialSource
	imports []string
}

// renewing wraps the Get's first credential in a Renewing bound to the
// request's project and purpose: a rebuild renews pull-only rebuild
// credentials, never create ones.
func (c *Cache) renewing(req Request, first *HostCredentials) *Renewing {
	r := NewRenewing(first, func(ctx context.Context) (*HostCredentials, error) {
		return c.Credentials.Issue(ctx, req.Project, req.Purpose)
	})
	r.Off = c.NoRenewal
	return r
}

// lookup looks ref up with src's current credential.
func (c *Cache) lookup(ctx context.Context, ref string, src *Renewing) (*CachedImage, error) {
	creds, err := src.Current(ctx)
	if err != nil {
		return nil, err
	}
	return c.Registry.Lookup(ctx, ref, creds)
}

// bypassReason says why req is built without the cache, if it is; warning
// marks the reasons that are a runner's missing setting, not a choice.
func (c *Cache) bypassReason(req Request) (code ReasonCode, reason string, warning bool) {
	switch {
	case c.Disabled:
		return ReasonDisabled, "the image cache is disabled on this runner: no lookup, no push", false
	case req.SkipImageCache:
		return ReasonSkipped, "--skip-image-cache: no lookup, no push", false
	case req.Project == "":
		return ReasonNoProject, "no project set (--project, $DEVCACHE_PROJECT): building without the cache", true
	case c.ProxyHost == "":
		return ReasonNoProxy, "no devcache-proxy set (--proxy, $DEVCACHE_PROXY): building without the cache", true
	}
	return "", "", false
}

func (c *Cache) buildWithoutCache(ctx context.Context, req Request, res *Result, code ReasonCode, reason string) error {
	res.Outcome, res.ReasonCode, res.Reason = OutcomeBypass, code, reason
	if !slices.Contains(res.Warnings, reason) { // warnings are logged already
		log.G(ctx).Info(reason)
	}
	return c.build(ctx, req, res, buildTarget{})
}

func (c *Cache) useHit(ctx context.Context, res *Result, hit *CachedImage, src *Renewing) error {
	res.Outcome, res.Image, res.Digest = OutcomeHit, hit.Ref, hit.Digest
	saved, _ := buildSeconds(hit.Labels)
	res.SavedSeconds = saved.Seconds()
	if c.Status != nil {
		fmt.Fprintln(c.Status, HitMessage(saved))
		log.G(ctx).Debug(HitMessage(saved), "image", hit.Ref, "digest", hit.Digest)
	} else {
		log.G(ctx).Info(HitMessage(saved), "image", hit.Ref, "digest", hit.Digest)
	}
	if c.Runtime == nil {
		return nil
	}
	pctx, end := res.begin(ctx, PhasePull)
	pull, err := c.Runtime.Pull(pctx, hit.Ref, src)
	end(err)
	if err != nil {
		return failIn(PhasePull, err)
	}
	res.Pull = pull
	if fb := pull.Fallback(); fb != nil && fb.Reason != "" {
		// Said once per environment, for the first layer (the others
		// almost always share the cause); the JSON lists every layer.
		warn(ctx, res, "image %s was pulled in full before the start, not lazily: layer %s: %s", hit.Ref, fb.Digest, fb.Reason)
	}
	return nil
}

// build runs the builder. The built image goes to the runtime (imported)
// when there is one.
func (c *Cache) build(ctx context.Context, req Request, res *Result, bt buildTarget) error {
	push := bt.push
	br := BuildRequest{
		ContextDir:   req.Workspace.Folder,
		ConfigDir:    filepath.Dir(req.Workspace.Config),
		ConfigFile:   filepath.Base(req.Workspace.Config),
		Push:         push,
		CacheExport:  bt.cacheExport,
		CacheImports: bt.imports,
		Auth:         bt.auth,
		FrontendOpts: req.vars.FrontendOpts(),
	}
	if req.NoBuildCache {
		br.FrontendOpts["no-cache"] = ""
	}
	name := push
	if name == "" {
		name = req.LocalName
	}
	// The OCI export streams into the runtime's import through a pipe; a
	// failed build closes it so the import never waits on a dead writer.
	var (
		imported chan importResult
		export   *io.PipeWriter
	)
	if c.Runtime != nil && name != "" {
		imported = make(chan importResult, 1)
		br.ExportOCI = func(ctx context.Context) (WriteCloser, error) {
			pr, pw := io.Pipe()
			export = pw
			go func() {
				d, err := c.Runtime.Import(ctx, name, pr)
				_ = pr.CloseWithError(err)
				imported <- importResult{d, err}
			}()
			return pw, nil
		}
	}
	pctx, end := res.begin(ctx, PhaseBuild)
	out, err := c.Builder.Build(pctx, br)
	end(err)
	if err != nil {
		if export != nil {
			_ = export.CloseWithError(err)
		}
		return failIn(PhaseBuild, fmt.Errorf("building the dev container: %w", err))
	}
	res.BuildSeconds = out.Duration.Seconds()
	res.Image, res.Digest, res.Pushed = name, out.Digest, out.Pushed
	res.StepsRun, res.StepsReused = out.StepsRun, out.StepsReused
	log.G(ctx).Info("built the dev container", "seconds", fmt.Sprintf("%.1f", out.Duration.Seconds()), "steps_run", out.StepsRun, "steps_reused", out.StepsReused, "pushed", out.Pushed)
	if export != nil {
		r := <-imported
		if r.err != nil {
			return failIn(PhaseImport, r.err)
		}
	}
	return nil
}

type importResult struct {
	digest string
	err    error
}

// isPushError tells a refused push from a failed build: BuildKit's image
// exporter reports push failures with the pushed reference.
func isPushError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "failed to push") || strings.Contains(msg, "pushing manifest") ||
		errors.Is(err, cerrdefs.ErrPermissionDenied)
}

func warn(ctx context.Context, res *Result, format string, args ...any) string {
	msg := fmt.Sprintf(format, args...)
	res.Warnings = append(res.Warnings, msg)
	log.G(ctx).Warn(msg)
	return msg
}
