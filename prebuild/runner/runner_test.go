//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/prebuild"
)

func TestTimeoutDefaults(t *testing.T) {
	d := Timeouts{}.withDefaults()
	require.Equal(t, Timeouts{Execution: prebuild.DefaultExecutionTimeout, Snapshot: prebuild.SnapshotTimeout, Overall: prebuild.OverallTimeout}, d)
	require.Equal(t, 3*time.Second, Timeouts{Execution: 3 * time.Second}.withDefaults().Execution)
}

func TestTimeoutCauseNamesTheTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Millisecond, fmt.Errorf("%w after 1ms", errSnapshotTimeout))
	defer cancel()
	<-ctx.Done()
	err := timeoutCause(ctx, fmt.Errorf("pushing: %w", context.DeadlineExceeded))
	require.ErrorIs(t, err, errSnapshotTimeout)
	require.Contains(t, err.Error(), "snapshotting timed out after 1ms (pushing: context deadline exceeded)")

	// An error that already is the cause is kept as it is.
	err = timeoutCause(ctx, fmt.Errorf("onCreateCommand: %w", context.Cause(ctx)))
	require.Equal(t, "onCreateCommand: snapshotting timed out after 1ms", err.Error())

	// Without a timeout, errors pass through.
	plain := errors.New("boom")
	require.Equal(t, plain, timeoutCause(context.Background(), plain))
}
