package catalog

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/registry"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Complete implements prebuild.Recorder: the captured manifest (pushed
// under prebuild.CaptureTag) is put under the tag p.ID with the prebuild's
// annotations added (its blobs are already there: only the manifest is
// uploaded), then the staging capture is deleted (best effort: retention
// deletes what is left).
func (r *Registry) Complete(ctx context.Context, p prebuild.Prebuild, captured string) (prebuild.Prebuild, error) {
	p.Phase = phase.Completed
	src, err := r.Insecure.ParseReference(captured)
	if err != nil {
		return p, fmt.Errorf("captured %w", err)
	}
	opts, err := r.options(ctx, p.Project)
	if err != nil {
		return p, err
	}
	img, err := remote.Image(src, opts...)
	if err != nil {
		return p, registry.Wrap("reading the captured prebuild", src.String(), err)
	}
	rec, err := r.put(ctx, p, mutate.Annotations(img, annotations(p)).(v1.Image), opts)
	if err != nil {
		return rec, err
	}
	// The staging capture is no longer needed (its blobs are the record's).
	if d, ok := src.(name.Digest); ok && d.Context().String() == mustRepo(r, p.Project) {
		if err := r.Delete(ctx, prebuild.Prebuild{ID: prebuild.CaptureTag(p.ID), Project: p.Project, Reference: d.String()}); err != nil {
			log.G(ctx).Info("staging capture left for retention to delete", "reference", d.String(), "error", err)
		}
	}
	return rec, nil
}

func mustRepo(r *Registry, project string) string {
	repo, err := r.repo(project)
	if err != nil {
		return ""
	}
	return repo.String()
}

// Fail implements prebuild.Recorder: a small image (no base: it is never
// run) whose one layer holds the step logs as prebuild/logs/NN-<step>.log.
func (r *Registry) Fail(ctx context.Context, p prebuild.Prebuild, logs []phase.StepLog) (prebuild.Prebuild, error) {
	p.Phase = phase.Failed
	opts, err := r.options(ctx, p.Project)
	if err != nil {
		return p, err
	}
	layer, err := logsLayer(p, logs)
	if err != nil {
		return p, err
	}
	img, err := mutate.Append(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), mutate.Addendum{
		Layer:       layer,
		Annotations: map[string]string{contract.AnnotationLogs: "true"},
	})
	if err != nil {
		return p, err
	}
	return r.put(ctx, p, mutate.Annotations(img, annotations(p)).(v1.Image), opts)
}

func (r *Registry) put(ctx context.Context, p prebuild.Prebuild, img v1.Image, opts []remote.Option) (prebuild.Prebuild, error) {
	repo, err := r.repo(p.Project)
	if err != nil {
		return p, err
	}
	tag := repo.Tag(p.ID)
	if err := remote.Write(tag, img, append(opts, remote.WithContext(ctx))...); err != nil {
		return p, registry.Wrap("recording the prebuild", tag.String(), err)
	}
	d, err := img.Digest()
	if err != nil {
		return p, err
	}
	m, err := img.Manifest()
	if err != nil {
		return p, err
	}
	return fromManifest(p.Project, tag, d, m), nil
}

// logsLayer is a gzip tar of the step logs and the reason.
func logsLayer(p prebuild.Prebuild, logs []phase.StepLog) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(n string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), ModTime: p.Created, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add("prebuild/reason.txt", []byte(p.Reason+"\n")); err != nil {
		return nil, err
	}
	for i, l := range logs {
		body := fmt.Sprintf("# step: %s\n# exit code: %d\n# seconds: %.1f\n", l.Step, l.ExitCode, l.Seconds)
		if l.Error != "" {
			body += "# error: " + l.Error + "\n"
		}
		if err := add(fmt.Sprintf("prebuild/logs/%02d-%s.log", i, safe(l.Step)), []byte(body+l.Output)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// ReadLogs returns the step logs of a failed prebuild, file name → content
// (empty for a prebuild that did not fail).
func (r *Registry) ReadLogs(ctx context.Context, p prebuild.Prebuild) (map[string]string, error) {
	ref, err := r.Insecure.NewDigest(p.Reference)
	if err != nil {
		return nil, err
	}
	opts, err := r.options(ctx, p.Project)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, registry.Wrap("reading the logs of", ref.String(), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range m.Layers {
		if _, ok := d.Annotations[contract.AnnotationLogs]; !ok {
			continue // only the logs layer: never download a prebuild's rootfs
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, err
		}
		rc, err := l.Uncompressed()
		if err != nil {
			return nil, err
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				_ = rc.Close()
				return nil, err
			}
			b, _ := io.ReadAll(tr)
			out[h.Name] = string(b)
		}
		_ = rc.Close()
	}
	return out, nil
}

func safe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			b[i] = '_'
		}
	}
	return string(b)
}
