package builder

import (
	"context"
	"fmt"
	iofs "io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/devcache/devcache/frontend/devcontainer"
	"github.com/devcache/devcache/frontend/features"
	"github.com/devcache/devcache/frontend/keyinputs"
)

// source is keyinputs.Source through the BuildKit gateway: files from the
// local holding devcontainer.json (or the build context), tarball Features
// with llb.HTTP, OCI Features with fetchManifest and llb.ImageBlob, image
// digests with ResolveImageConfig. Feature contents are llb.States with the
// files at their root.
type source struct {
	c  client.Client
	bc *dockerui.Client
	o  options
	// self is the frontend's own image when it runs from one (nil
	// in-process): it fetches OCI manifests in a build step.
	self *llb.State

	// include is what the first transfer of the devcontainer.json folder
	// brings: the lockfile and the local Features devcontainer.json lists.
	include   []string
	once      sync.Once
	folder    client.Reference
	folderErr error

	mu    sync.Mutex
	files map[string]*file
}

var _ keyinputs.Source = (*source)(nil)

// file is a file read next to devcontainer.json, with the solved
// reference that holds it (at path).
type file struct {
	data []byte
	ref  client.Reference
	path string
}

func newSource(c client.Client, bc *dockerui.Client, o options, raw *devcontainer.Config) *source {
	s := &source{c: c, bc: bc, o: o, files: map[string]*file{}}
	s.include = []string{o.inConfigDir(features.LockfileFor(o.filename))}
	for _, e := range raw.Features {
		if ref, err := features.ParseRef(e.ID); err == nil && ref.Type == features.Local {
			s.include = append(s.include, o.inConfigDir(ref.Path))
		}
	}
	if cf, ok := c.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		if st, err := cf.CurrentFrontend(); err == nil && st != nil {
			s.self = st
		}
	}
	return s
}

// loadFolder transfers the devcontainer.json folder's include paths, once.
func (s *source) loadFolder(ctx context.Context) (client.Reference, error) {
	s.once.Do(func() {
		s.folder, s.folderErr = solve(ctx, s.c, s.o.dockerfileLocal("load devcontainer.json folder", s.include...))
	})
	return s.folder, s.folderErr
}

// ReadFile implements keyinputs.Source.
func (s *source) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if p := s.o.inConfigDir(name); slices.Contains(s.include, p) {
		folder, err := s.loadFolder(ctx)
		if err != nil {
			return nil, err
		}
		return readRef(ctx, folder, p)
	}
	f, err := s.file(ctx, name)
	if err != nil {
		return nil, err
	}
	return f.data, nil
}

// file reads name (relative to devcontainer.json) from the local that
// holds devcontainer.json when it is inside that folder, else from the
// build context; once per name.
func (s *source) file(ctx context.Context, name string) (*file, error) {
	s.mu.Lock()
	f, ok := s.files[name]
	s.mu.Unlock()
	if ok {
		return f, nil
	}
	f = &file{}
	var st llb.State
	if p := s.o.inConfigDir(name); !strings.HasPrefix(p, "../") && p != ".." {
		f.path = p
		st = s.o.dockerfileLocal("load "+name, p, p+".dockerignore")
	} else {
		p := path.Clean(path.Join(s.o.contextDir, name))
		if strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("%q is outside the build context: %w", name, cerrdefs.ErrInvalidArgument)
		}
		f.path = p
		main, err := s.bc.MainContext(ctx, llb.IncludePatterns([]string{p}))
		if err != nil {
			return nil, err
		}
		st = *main
	}
	var err error
	if f.ref, err = solve(ctx, s.c, st); err != nil {
		return nil, err
	}
	if f.data, err = readRef(ctx, f.ref, f.path); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.files[name] = f
	s.mu.Unlock()
	return f, nil
}

// readRef reads p from ref; a missing file is cerrdefs.ErrNotFound.
func readRef(ctx context.Context, ref client.Reference, p string) ([]byte, error) {
	if _, err := ref.StatFile(ctx, client.StatRequest{Path: p}); err != nil {
		return nil, fmt.Errorf("%s: %w", p, cerrdefs.ErrNotFound)
	}
	return ref.ReadFile(ctx, client.ReadRequest{Filename: p})
}

// LocalFeature implements keyinputs.Source: from the first transfer when
// devcontainer.json lists the Feature, else (reached through dependsOn)
// loaded on its own.
func (s *source) LocalFeature(ctx context.Context, ref features.Ref) (features.FolderFS, string, any, error) {
	p := s.o.inConfigDir(ref.Path)
	var lref client.Reference
	var err error
	if slices.Contains(s.include, p) {
		lref, err = s.loadFolder(ctx)
	} else {
		lref, err = solve(ctx, s.c, s.o.dockerfileLocal("load Feature "+ref.UserID, p))
	}
	if err != nil {
		return nil, "", nil, err
	}
	st, err := lref.ToState()
	if err != nil {
		return nil, "", nil, err
	}
	return refFS{lref}, p, subdir(st, p, "stage Feature "+ref.UserID), nil
}

// tarballFile is the name a tarball Feature is fetched to.
const tarballFile = "devcontainer-feature.tgz"

// Tarball implements keyinputs.Source with llb.HTTP: the pin becomes the
// HTTP source's checksum, so BuildKit itself refuses other content.
func (s *source) Tarball(ctx context.Context, ref features.Ref, pin digest.Digest) ([]byte, any, error) {
	opts := []llb.HTTPOption{llb.Filename(tarballFile), dockerui.WithInternalName("fetch Feature " + ref.UserID)}
	if pin != "" {
		opts = append(opts, llb.Checksum(pin))
	}
	dt, sref, err := readFile(ctx, s.c, llb.HTTP(ref.URL, opts...), tarballFile)
	if err != nil {
		return nil, nil, err
	}
	st, err := sref.ToState()
	if err != nil {
		return nil, nil, err
	}
	content, err := unpacked(ctx, s.c, unpack(st, tarballFile, "unpack Feature "+ref.UserID))
	return dt, content, err
}

// ResolveImage implements keyinputs.Source: the digest BuildKit resolves
// for the build's first platform (an index's digest covers them all).
func (s *source) ResolveImage(ctx context.Context, ref reference.Named) (digest.Digest, error) {
	p := s.bc.BuildPlatforms[0]
	_, dgst, _, err := s.c.ResolveImageConfig(ctx, ref.String(), sourceresolver.Opt{
		LogName:  "resolve image config for " + ref.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: s.bc.ImageResolveMode.String()},
	})
	if err != nil {
		return "", fmt.Errorf("resolving image %s: %w", reference.FamiliarString(ref), err)
	}
	return dgst, nil
}

// unpacked solves st (a Feature's files) and returns it as a state.
func unpacked(ctx context.Context, c client.Client, st llb.State) (llb.State, error) {
	ref, err := solve(ctx, c, st)
	if err != nil {
		return llb.State{}, err
	}
	return ref.ToState()
}

// unpack copies an archive file of st, unpacked, to the root of a new state.
func unpack(st llb.State, file, name string) llb.State {
	return llb.Scratch().File(llb.Copy(st, "/"+file, "/", &llb.CopyInfo{AttemptUnpack: true}), dockerui.WithInternalName(name))
}

// missing reports a file refFS cannot stat as fs.ErrNotExist.
func missing(name string) error { return fmt.Errorf("%s: %w", name, iofs.ErrNotExist) }
