package imagecache

import (
	"context"
	"fmt"
	"io"
	"maps"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/snapshotters"
	cerrdefs "github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/snapshotter"
	"github.com/devcache/devcache/snapshotter/prefetch"
)

// Runtime makes an image available where the runner starts environments.
type Runtime interface {
	// Pull makes ref, from a registry with auth's credentials, available
	// to start containers from: downloaded and unpacked, or mounted lazily.
	// auth is asked again for every token (nil: anonymous).
	Pull(ctx context.Context, ref string, auth CredentialSource) (*PullInfo, error)
	// Import reads an OCI archive and names the image ref.
	Import(ctx context.Context, ref string, r io.Reader) (digest string, err error)
}

// Containerd is a Runtime backed by a containerd daemon.
type Containerd struct {
	Client    *containerd.Client
	Namespace string
	// Snapshotter unpacks into this snapshotter ("" is containerd's default).
	Snapshotter string
	// Remote says Snapshotter is devcache-snapshotter, which restores
	// eStargz layers itself (lazily when it can): pulls pass it the image
	// reference and layer digests, and report how each layer came.
	Remote bool
	// RemoteAuth, when set, is given the pull's credentials before a pull
	// with a Remote snapshotter, which fetches layers itself.
	RemoteAuth func(creds *HostCredentials) error
}

var _ Runtime = (*Containerd)(nil)

// Pull pulls and unpacks ref, authenticating with auth's credentials (renewed
// while the pull runs). Hosts on loopback are reached over plain HTTP, as
// containerd and BuildKit do.
func (c *Containerd) Pull(ctx context.Context, ref string, auth CredentialSource) (*PullInfo, error) {
	ctx = namespaces.WithNamespace(ctx, c.Namespace)
	host := refHost(ref)
	var creds *HostCredentials
	if auth != nil {
		var err error
		if creds, err = auth.Credentials(ctx, host); err != nil {
			return nil, fmt.Errorf("credentials for %s: %w", host, err)
		}
	}
	if c.Remote && c.RemoteAuth != nil && creds != nil {
		if err := c.RemoteAuth(creds); err != nil {
			return nil, fmt.Errorf("handing the pull credentials to the snapshotter: %w", err)
		}
	}
	authorizer := newRenewingAuthorizer(auth)
	resolver := docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(docker.MatchLocalhost), docker.WithAuthorizer(authorizer)),
	})
	opts := []containerd.RemoteOpt{containerd.WithPullUnpack, containerd.WithResolver(resolver)}
	if c.Snapshotter != "" {
		opts = append(opts, containerd.WithPullSnapshotter(c.Snapshotter))
	}
	var prefetchList string
	if c.Remote {
		// The layer descriptors carry the image reference and layer
		// digests, and the image's prefetch list when it has one, passed
		// to the snapshotter's Prepare as labels.
		wrap := snapshotters.AppendInfoHandlerWrapper(ref)
		if pl, err := prefetch.Resolve(ctx, ref, Authenticator(auth, host)); err == nil {
			prefetchList = pl
			info := wrap
			wrap = func(h images.Handler) images.Handler { return info(annotateLayers(h, snapshotter.LabelPrefetch, pl)) }
		} else if !cerrdefs.IsNotFound(err) {
			log.G(ctx).Warn("could not look the image's prefetch list up, starting without it", "image", ref, "error", err)
		}
		opts = append(opts, containerd.WithImageHandlerWrapper(wrap))
	}
	img, err := c.Client.Pull(ctx, ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("containerd pull %s: %w", ref, err)
	}
	info, err := c.pullInfo(ctx, img)
	if err != nil {
		return nil, err
	}
	info.Prefetch = prefetchList
	return info, nil
}

// annotateLayers sets key=value on the layer descriptors of every manifest
// h returns (containerd passes containerd.io/snapshot/ annotations to the
// snapshotter as labels).
func annotateLayers(h images.Handler, key, value string) images.Handler {
	return images.HandlerFunc(func(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		children, err := h.Handle(ctx, desc)
		if err != nil || !images.IsManifestType(desc.MediaType) {
			return children, err
		}
		for i := range children {
			if images.IsLayerType(children[i].MediaType) {
				children[i].Annotations = maps.Clone(children[i].Annotations)
				if children[i].Annotations == nil {
					children[i].Annotations = map[string]string{}
				}
				children[i].Annotations[key] = value
			}
		}
		return children, nil
	})
}

// Import imports an OCI archive as ref and unpacks it.
func (c *Containerd) Import(ctx context.Context, ref string, r io.Reader) (string, error) {
	ctx = namespaces.WithNamespace(ctx, c.Namespace)
	imgs, err := c.Client.Import(ctx, r,
		containerd.WithImageRefTranslator(archive.AddRefPrefix(ref)),
		containerd.WithIndexName(ref),
		containerd.WithAllPlatforms(false))
	if err != nil {
		return "", fmt.Errorf("containerd import %s: %w", ref, err)
	}
	if len(imgs) == 0 {
		return "", fmt.Errorf("containerd import %s: the archive held no image", ref)
	}
	img := containerd.NewImage(c.Client, imgs[0])
	unpackOpts := []containerd.UnpackOpt{}
	if err := img.Unpack(ctx, c.Snapshotter, unpackOpts...); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", ref, err)
	}
	return imgs[0].Target.Digest.String(), nil
}
