package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

// Registry is a prebuild.Catalog and prebuild.Recorder on an OCI registry.
type Registry struct {
	// Host is the registry (or devcache-proxy) host:port.
	Host string
	// Insecure lists the registries reached over plain HTTP besides
	// loopback, localhost and *.localhost.
	Insecure registry.Insecure
	// Auth returns the credentials for a project (nil: anonymous).
	Auth func(ctx context.Context, project string) (authn.Authenticator, error)
	// Transport is the HTTP transport (default: internal/httpclient's, with
	// timeouts).
	Transport http.RoundTripper
}

var (
	_ prebuild.Catalog  = (*Registry)(nil)
	_ prebuild.Recorder = (*Registry)(nil)
)

func (r *Registry) repo(project string) (name.Repository, error) {
	return r.Insecure.NewRepository(r.Host+"/"+contract.RepositoryName(project, contract.KindPrebuild), name.StrictValidation)
}

func (r *Registry) options(ctx context.Context, project string) ([]remote.Option, error) {
	o := registry.Options{Insecure: r.Insecure, Transport: r.Transport}
	if r.Auth != nil {
		a, err := r.Auth(ctx, project)
		if err != nil {
			return nil, fmt.Errorf("credentials for project %s: %w", project, err)
		}
		o.Auth = a
	}
	return o.Remote(ctx), nil
}

// List implements prebuild.Catalog: every tag of the project's prebuild
// repository with its annotations, newest first. A repository that does not
// exist yet holds no prebuilds.
func (r *Registry) List(ctx context.Context, project string) ([]prebuild.Prebuild, error) {
	repo, err := r.repo(project)
	if err != nil {
		return nil, err
	}
	opts, err := r.options(ctx, project)
	if err != nil {
		return nil, err
	}
	tags, err := remote.List(repo, opts...)
	if err != nil {
		if registry.IsNotFound(err) {
			return nil, nil
		}
		return nil, registry.Wrap("listing", repo.String(), err)
	}
	tags = withoutRecordedCaptures(tags)
	out := make([]prebuild.Prebuild, len(tags))
	keep := make([]bool, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, tag := range tags {
		g.Go(func() error {
			p, err := r.get(gctx, project, repo.Tag(tag), opts)
			if registry.IsNotFound(err) {
				return nil // deleted while listing
			}
			if err != nil {
				return err
			}
			out[i], keep[i] = p, true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var list []prebuild.Prebuild
	for i := range out {
		if keep[i] {
			list = append(list, out[i])
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Created.Equal(list[j].Created) {
			return list[i].Created.After(list[j].Created)
		}
		return list[i].ID > list[j].ID
	})
	return list, nil
}

// withoutRecordedCaptures drops the staging tag of every capture whose
// record exists: Complete deletes it, but a registry that refuses deletes
// (devcache-proxy does, by policy) keeps it until it expires, and it is not
// a prebuild of its own. A staging tag without a record stays listed
// (incomplete).
func withoutRecordedCaptures(tags []string) []string {
	recorded := make(map[string]bool, len(tags))
	for _, t := range tags {
		recorded[t] = true
	}
	out := tags[:0:0]
	for _, t := range tags {
		if id, ok := strings.CutSuffix(t, prebuild.CaptureTag("")); ok && recorded[id] {
			continue
		}
		out = append(out, t)
	}
	return out
}

func (r *Registry) get(ctx context.Context, project string, tag name.Tag, opts []remote.Option) (prebuild.Prebuild, error) {
	desc, err := remote.Get(tag, append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return prebuild.Prebuild{}, registry.Wrap("reading", tag.String(), err)
	}
	m, err := v1.ParseManifest(bytesReader(desc.Manifest))
	if err != nil {
		return prebuild.Prebuild{}, fmt.Errorf("manifest of %s: %w", tag, err)
	}
	return fromManifest(project, tag, desc.Digest, m), nil
}

// fromManifest reads a prebuild from its manifest.
func fromManifest(project string, tag name.Tag, d v1.Hash, m *v1.Manifest) prebuild.Prebuild {
	a := m.Annotations
	p := prebuild.Prebuild{
		ID:               tag.TagStr(),
		Project:          project,
		Reference:        tag.Context().Digest(d.String()).String(),
		Phase:            phase.Phase(a[contract.AnnotationPhase]),
		Reason:           a[contract.AnnotationReason],
		EnvironmentClass: a[contract.AnnotationEnvironmentClass],
		ConfigKey:        a[contract.AnnotationConfigKey],
		Commit:           a[contract.AnnotationCommit],
		Trigger:          prebuild.Trigger(a[contract.AnnotationTrigger]),
		User:             a[contract.AnnotationUser],
	}
	p.Created, _ = time.Parse(time.RFC3339, a[contract.AnnotationCreated])
	p.SetupSeconds, _ = strconv.ParseFloat(a[contract.AnnotationSetupSeconds], 64)
	_ = json.Unmarshal([]byte(a[contract.AnnotationPhases]), &p.Transitions)
	if strings.HasSuffix(p.ID, prebuild.CaptureTag("")) {
		// A staging tag is never a recorded prebuild, whatever its manifest
		// says (captures made before they stopped inheriting their base's
		// annotations carry their parent's phase and commit).
		p.Phase, p.Reason = "", ""
	}
	p.Parent = a[contract.AnnotationParent]
	p.Generation, _ = strconv.Atoi(a[contract.AnnotationGeneration])
	for _, l := range m.Layers {
		if _, ok := l.Annotations[contract.AnnotationLayerKind]; ok {
			p.Size += l.Size
		} else if _, ok := l.Annotations[contract.AnnotationLogs]; ok {
			p.Size += l.Size
		}
	}
	return p
}

// annotations are what a recorded prebuild's manifest carries beyond the
// capture's own.
func annotations(p prebuild.Prebuild) map[string]string {
	a := map[string]string{
		contract.AnnotationID:               p.ID,
		contract.AnnotationPhase:            string(p.Phase),
		contract.AnnotationEnvironmentClass: p.EnvironmentClass,
		// Fractions of a second order prebuilds recorded within one second.
		contract.AnnotationCreated:      p.Created.UTC().Format(time.RFC3339Nano),
		contract.AnnotationSetupSeconds: strconv.FormatFloat(p.SetupSeconds, 'f', 1, 64),
	}
	if p.Parent != "" {
		a[contract.AnnotationParent] = p.Parent
		a[contract.AnnotationGeneration] = strconv.Itoa(p.Generation)
	}
	if len(p.Transitions) > 0 {
		b, _ := json.Marshal(p.Transitions)
		a[contract.AnnotationPhases] = string(b)
	}
	for k, v := range map[string]string{
		contract.AnnotationReason:    p.Reason,
		contract.AnnotationConfigKey: p.ConfigKey,
		contract.AnnotationCommit:    p.Commit,
		contract.AnnotationTrigger:   string(p.Trigger),
		contract.AnnotationUser:      p.User,
	} {
		if v != "" {
			a[k] = v
		}
	}
	return a
}

// Delete implements prebuild.Catalog: the manifest, then the tag (a
// distribution registry drops the tag with the manifest; registries that
// keep tags apart, such as go-containerregistry's, need both).
func (r *Registry) Delete(ctx context.Context, p prebuild.Prebuild) error {
	ref, err := r.Insecure.NewDigest(p.Reference)
	if err != nil {
		return fmt.Errorf("prebuild %w", err)
	}
	opts, err := r.options(ctx, p.Project)
	if err != nil {
		return err
	}
	if err := remote.Delete(ref, opts...); err != nil {
		return registry.Wrap("deleting", ref.String(), err)
	}
	if err := remote.Delete(ref.Context().Tag(p.ID), opts...); err != nil && !registry.IsNotFound(err) {
		log.G(ctx).Debug("deleting tag after its manifest", "tag", p.ID, "error", err)
	}
	return nil
}
