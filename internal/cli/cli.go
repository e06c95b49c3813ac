// Package cli holds the conventions every devcache binary shares: the root
// command with --version, --log-level and --log-format, a context that is
// cancelled on SIGINT/SIGTERM so servers drain, and the exit path.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	solvererrdefs "github.com/moby/buildkit/solver/errdefs"
	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/exitcode"
	"github.com/devcache/devcache/internal/log"
	"github.com/devcache/devcache/internal/tracing"
	"github.com/devcache/devcache/internal/version"
)

// NewRoot returns a root command for the binary name with the shared
// persistent flags. Its PersistentPreRunE installs the logger in the
// command's context; subcommands read it with log.G(cmd.Context()).
func NewRoot(name, short, long string) *cobra.Command {
	var level, format string
	root := &cobra.Command{
		Use:           name,
		Short:         short,
		Long:          long,
		Version:       version.Get().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			l, err := log.New(cmd.ErrOrStderr(), level, log.Format(format))
			if err != nil {
				return err
			}
			// One stream: the dependencies' logrus records (containerd,
			// BuildKit, stargz-snapshotter, distribution) go to the same
			// handler, at the same level and in the same format.
			lvl, _ := log.ParseLevel(level)
			log.RouteLogrus(l.With("component", name).Handler(), lvl)
			cmd.SetContext(log.WithLogger(cmd.Context(), l.With("component", name)))
			return nil
		},
	}
	root.SetVersionTemplate(version.String(name) + "\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.With(exitcode.Usage, err)
	})
	root.PersistentFlags().StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&format, "log-format", "text", "log format: text or json")
	return root
}

// traceFlush bounds the wait for the last spans to reach the collector.
const traceFlush = 5 * time.Second

// Main runs root with a context cancelled by SIGINT or SIGTERM and exits
// non-zero with the error on stderr when the command fails, with the status
// internal/exitcode gives the error. Traces are exported as the
// OTEL_EXPORTER_OTLP_* variables say (internal/tracing) and flushed before
// the exit.
func Main(root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	shutdown, terr := tracing.Setup(ctx, root.Name())
	if terr != nil {
		fmt.Fprintf(os.Stderr, "%s: traces are not exported: %v\n", root.Name(), terr)
	}
	err := root.ExecuteContext(ctx)
	stop()
	fctx, cancel := context.WithTimeout(context.Background(), traceFlush)
	if ferr := shutdown(fctx); ferr != nil {
		fmt.Fprintf(os.Stderr, "%s: flushing traces: %v\n", root.Name(), ferr)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
		PrintExcerpt(os.Stderr, err)
		os.Exit(int(exitcode.Of(err)))
	}
}

// PrintExcerpt writes the lines of the configuration an error points at,
// as buildx does: a devcontainer.json error's own excerpt, or the sources
// BuildKit attached to a build error.
func PrintExcerpt(w io.Writer, err error) {
	var ex interface{ PrintExcerpt(io.Writer) error }
	if errors.As(err, &ex) {
		_ = ex.PrintExcerpt(w)
		return
	}
	for _, s := range solvererrdefs.Sources(err) {
		_ = s.Print(w)
	}
}
