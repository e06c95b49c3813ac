package catalog

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/prebuild"
	"github.com/devcache/devcache/prebuild/phase"
)

func newRegistry(t *testing.T) *Registry {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return &Registry{Host: u.Host}
}

// capture pushes what devcache-snapshotter's capture leaves: a base image
// plus a prebuild layer of size bytes, with the capture's annotations,
// under the staging tag of id. It returns the digest reference; the stored size of
// the prebuild layer's stored size in layerSizes.
func capture(t *testing.T, r *Registry, project, id, class string, size int64) string {
	base, err := random.Image(1024, 1)
	require.NoError(t, err)
	l, err := random.Layer(size, "application/vnd.oci.image.layer.v1.tar+gzip")
	require.NoError(t, err)
	layerSizes[id], err = l.Size()
	require.NoError(t, err)
	img, err := mutate.Append(base, mutate.Addendum{Layer: l, Annotations: map[string]string{contract.AnnotationLayerKind: "rootfs"}})
	require.NoError(t, err)
	img = mutate.Annotations(img, map[string]string{contract.AnnotationEnvironmentClass: class, contract.AnnotationCreated: "2026-11-10T01:00:00Z"}).(v1.Image)
	tag, err := name.NewTag(r.Host+"/"+contract.RepositoryName(project, contract.KindPrebuild)+":"+prebuild.CaptureTag(id), name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	d, err := img.Digest()
	require.NoError(t, err)
	return tag.Context().Digest(d.String()).String()
}

var layerSizes = map[string]int64{}

func TestRecordListSelectPrune(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

	list, err := r.List(ctx, "p1")
	require.NoError(t, err)
	require.Empty(t, list, "no repository yet: no prebuilds")

	complete := func(id, class string, created time.Time) prebuild.Prebuild {
		ref := capture(t, r, "p1", id, class, 4096)
		p, err := r.Complete(ctx, prebuild.Prebuild{
			ID: id, Project: "p1", EnvironmentClass: class, Created: created, Commit: "abc123",
			Trigger: prebuild.TriggerManual, User: "alice", ConfigKey: "sha256:k", SetupSeconds: 75.5,
		}, ref)
		require.NoError(t, err)
		return p
	}
	old := complete("20261101T000000Z-a", "small", now.Add(-9*24*time.Hour))
	mid := complete("20261108T000000Z-b", "small", now.Add(-2*24*time.Hour))
	large := complete("20261109T000000Z-c", "large", now.Add(-24*time.Hour))
	failed, err := r.Fail(ctx, prebuild.Prebuild{ID: "20261110T000000Z-d", Project: "p1", EnvironmentClass: "small", Created: now.Add(-time.Hour), Reason: "onCreateCommand exited with 2"},
		[]phase.StepLog{{Step: "onCreateCommand", Output: "npm ERR! boom\n", ExitCode: 2}})
	require.NoError(t, err)
	require.Equal(t, phase.Failed, failed.Phase)
	// A capture that was never recorded (killed between push and record).
	capture(t, r, "p1", "20261110T010000Z-e", "small", 4096)

	list, err = r.List(ctx, "p1")
	require.NoError(t, err)
	require.Len(t, list, 5, "recorded captures leave no staging tag behind")
	require.Equal(t, "20261110T000000Z-d", list[0].ID, "newest first (by recorded time)")

	got, ok := prebuild.Select(list, "small", now)
	require.True(t, ok)
	require.Equal(t, mid.ID, got.ID, "the most recent successful one of the class; failed and unrecorded ones are never selected")
	require.Equal(t, "abc123", got.Commit)
	require.Equal(t, "alice", got.User)
	require.InDelta(t, 75.5, got.SetupSeconds, 1e-9)
	require.Equal(t, layerSizes[mid.ID], got.Size, "size is the prebuild's own layers, not the base")
	require.Equal(t, mid.Reference, got.Reference)

	got, ok = prebuild.Select(list, "large", now)
	require.True(t, ok)
	require.Equal(t, large.ID, got.ID)
	_, ok = prebuild.Select(list, "xlarge", now)
	require.False(t, ok, "no prebuild of another class")

	st := prebuild.Statuses(list, now)
	require.Equal(t, prebuild.StatusExpired, st[old.ID])
	require.Equal(t, prebuild.StatusActive, st[mid.ID])
	require.Equal(t, prebuild.StatusFailed, st[failed.ID])
	require.Equal(t, prebuild.StatusIncomplete, st[prebuild.CaptureTag("20261110T010000Z-e")], "a capture never recorded")

	logs, err := r.ReadLogs(ctx, failed)
	require.NoError(t, err)
	require.Contains(t, logs["prebuild/logs/00-onCreateCommand.log"], "npm ERR! boom")
	require.Equal(t, "onCreateCommand exited with 2\n", logs["prebuild/reason.txt"])

	// A newer completed prebuild supersedes the active one.
	newer := complete("20261110T020000Z-f", "small", now.Add(-30*time.Minute))
	list, err = r.List(ctx, "p1")
	require.NoError(t, err)
	st = prebuild.Statuses(list, now)
	require.Equal(t, prebuild.StatusActive, st[newer.ID])
	require.Equal(t, prebuild.StatusSuperseded, st[mid.ID])

	// Retention, with the clock moved: 7 days after creation, failed too.
	later := now.Add(5*24*time.Hour + 12*time.Hour)
	pruned, err := prebuild.Prune(ctx, r, "p1", later)
	require.NoError(t, err)
	require.Equal(t, []string{mid.ID, old.ID}, ids(pruned))
	list, err = r.List(ctx, "p1")
	require.NoError(t, err)
	require.NotContains(t, ids(list), mid.ID)
	require.Contains(t, ids(list), failed.ID, "failed prebuilds are kept for debugging until the same limit")

	pruned, err = prebuild.Prune(ctx, r, "p1", now.Add(8*24*time.Hour))
	require.NoError(t, err)
	require.Contains(t, ids(pruned), failed.ID)
	require.Contains(t, ids(pruned), newer.ID)

	// Another project sees none of it.
	other, err := r.List(ctx, "p2")
	require.NoError(t, err)
	require.Empty(t, other)
}

func ids(ps []prebuild.Prebuild) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestSameSecondPrebuildsKeepTheirOrder(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i, id := range []string{"20261122T100000Z-ffff", "20261122T100000Z-0000"} {
		ref := capture(t, r, "p", id, "small", 512)
		_, err := r.Complete(ctx, prebuild.Prebuild{ID: id, Project: "p", EnvironmentClass: "small", Created: t0.Add(time.Duration(i) * 300 * time.Millisecond)}, ref)
		require.NoError(t, err)
	}
	list, err := r.List(ctx, "p")
	require.NoError(t, err)
	got, ok := prebuild.Select(list, "small", t0.Add(time.Minute))
	require.True(t, ok)
	require.Equal(t, "20261122T100000Z-0000", got.ID, "the later one, though its id sorts first")
}

func TestStagingTagIsNeverRecorded(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t)
	base, err := random.Image(256, 1)
	require.NoError(t, err)
	img := mutate.Annotations(base, map[string]string{contract.AnnotationPhase: string(phase.Completed), contract.AnnotationEnvironmentClass: "small"}).(v1.Image)
	tag, err := name.NewTag(r.Host+"/"+contract.RepositoryName("p", contract.KindPrebuild)+":"+prebuild.CaptureTag("20261110T010000Z-a"), name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(tag, img))
	list, err := r.List(ctx, "p")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Empty(t, list[0].Phase, "a staging tag that claims a phase is still incomplete")
	_, ok := prebuild.Select(list, "small", time.Now())
	require.False(t, ok)
}

func TestWithoutRecordedCaptures(t *testing.T) {
	got := withoutRecordedCaptures([]string{"a", "a.capture", "b.capture", "c"})
	require.Equal(t, []string{"a", "b.capture", "c"}, got, "a recorded capture's staging tag is not a prebuild; an unrecorded one is (incomplete)")
}
