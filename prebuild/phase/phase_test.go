package phase

import (
	"context"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/require"
)

type memStore struct{ puts []Record }

func (s *memStore) Put(_ context.Context, r Record) error { s.puts = append(s.puts, r); return nil }

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		from, to Phase
		ok       bool
	}{
		{Pending, Starting, true},
		{Starting, Running, true},
		{Running, Stopping, true},
		{Stopping, Snapshotting, true},
		{Snapshotting, Completed, true},
		{Running, Failed, true},
		{Pending, Failed, true},
		{Pending, Running, false},
		{Running, Snapshotting, false},
		{Completed, Failed, false},
		{Failed, Running, false},
		{Running, Starting, false},
	} {
		err := CanTransition(tc.from, tc.to)
		if tc.ok {
			require.NoError(t, err, "%s → %s", tc.from, tc.to)
		} else {
			require.True(t, errdefs.IsFailedPrecondition(err), "%s → %s: %v", tc.from, tc.to, err)
		}
	}
	require.True(t, errdefs.IsInvalidArgument(CanTransition(Pending, "Paused")))
}

func TestMachineTimesEveryTransition(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := &memStore{}
	m, err := New(ctx, "id1", "p", WithClock(clock), WithStore(st))
	require.NoError(t, err)
	for i, p := range []Phase{Starting, Running, Stopping, Snapshotting, Completed} {
		now = now.Add(time.Duration(i+1) * time.Minute)
		require.NoError(t, m.To(ctx, p))
	}
	r := m.Record()
	require.Equal(t, Completed, r.Phase)
	require.Len(t, r.Transitions, 6)
	d := r.Durations(now)
	require.Equal(t, time.Minute, d[Pending])
	require.Equal(t, 2*time.Minute, d[Starting])
	require.Equal(t, 4*time.Minute, d[Stopping])
	require.NotContains(t, d, Completed)
	require.Len(t, st.puts, 6, "saved after every transition")
	require.Error(t, m.To(ctx, Failed), "a completed prebuild cannot fail")
	require.NoError(t, m.Fail(ctx, "late"), "Fail on a final record is a no-op")
	require.Equal(t, Completed, m.Record().Phase)
}

func TestMachineFailKeepsReasonAndSteps(t *testing.T) {
	ctx := context.Background()
	m, err := New(ctx, "id2", "p")
	require.NoError(t, err)
	require.NoError(t, m.To(ctx, Starting))
	require.NoError(t, m.To(ctx, Running))
	require.NoError(t, m.Step(ctx, StepLog{Step: "onCreateCommand", Output: "boom\n", ExitCode: 3}))
	require.NoError(t, m.Fail(ctx, "onCreateCommand exited with 3"))
	r := m.Record()
	require.Equal(t, Failed, r.Phase)
	require.Equal(t, "onCreateCommand exited with 3", r.Reason)
	require.Equal(t, "boom\n", r.Steps[len(r.Steps)-1].Output)
	require.Equal(t, Failed, r.Transitions[len(r.Transitions)-1].Phase)
}
