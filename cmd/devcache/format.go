package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devcache/devcache/internal/exitcode"
)

// registerResultFormat adds --result-format, with --output as its
// deprecated alias: buildx's --output is an export destination.
func registerResultFormat(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "result-format", "text", "result format: text or json")
	f.StringVar(p, "output", "text", "result format (deprecated: use --result-format)")
	_ = f.MarkDeprecated("output", "use --result-format (buildx's --output is an export destination)")
}

func checkResultFormat(format string) error {
	if format != "text" && format != "json" {
		return exitcode.With(exitcode.Usage, fmt.Errorf("invalid --result-format %q: want text or json", format))
	}
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// logFormat is the --log-format the command runs with.
func logFormat(cmd *cobra.Command) string {
	if f := cmd.Flag("log-format"); f != nil {
		return f.Value.String()
	}
	return "text"
}
