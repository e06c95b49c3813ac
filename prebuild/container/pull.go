package container

import (
	"context"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/pkg/snapshotters"
)

// Credentials authenticate to one registry host.
type Credentials struct {
	Host, Username, Password string
}

// PullOptions say where and how an image is pulled.
type PullOptions struct {
	// Snapshotter unpacks the image (the devcache snapshotter).
	Snapshotter string
	// PlainHTTP hosts are reached over HTTP (loopback hosts always are).
	PlainHTTP []string
	// Credentials, when set, authenticate to their host.
	Credentials *Credentials
	// Authorizer, when set, replaces Credentials: a renewing source's
	// (imagecache.NewAuthorizer), which keeps a long pull authenticated.
	Authorizer docker.Authorizer
}

// Pull pulls and unpacks ref. Layer descriptors carry the image reference
// and layer digests as annotations, which containerd passes to the
// snapshotter as labels: the devcache snapshotter needs them to restore a
// prebuild's layers lazily instead of letting containerd download them.
func Pull(ctx context.Context, client *containerd.Client, ref string, o PullOptions) (containerd.Image, error) {
	plain := func(host string) (bool, error) {
		for _, h := range o.PlainHTTP {
			if h == host {
				return true, nil
			}
		}
		return docker.MatchLocalhost(host)
	}
	authorizer := docker.NewDockerAuthorizer(docker.WithAuthCreds(func(host string) (string, string, error) {
		if o.Credentials != nil && o.Credentials.Host == host {
			return o.Credentials.Username, o.Credentials.Password, nil
		}
		return "", "", nil
	}))
	if o.Authorizer != nil {
		authorizer = o.Authorizer
	}
	resolver := docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(docker.WithPlainHTTP(plain), docker.WithAuthorizer(authorizer)),
	})
	img, err := client.Pull(ctx, ref,
		containerd.WithPullUnpack,
		containerd.WithResolver(resolver),
		containerd.WithPullSnapshotter(o.Snapshotter),
		containerd.WithImageHandlerWrapper(snapshotters.AppendInfoHandlerWrapper(ref)),
	)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	return img, nil
}
