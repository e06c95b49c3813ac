package restore_test

import (
	"github.com/containerd/containerd/v2/core/snapshots"
	"io"
	"log"
)

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func withLabels(l map[string]string) snapshots.Opt { return snapshots.WithLabels(l) }
