package status

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"

	"github.com/devcache/devcache/internal/log"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"short": func(s string) string {
		if len(s) > 7 {
			return s[:7]
		}
		return s
	},
	"secs": func(s float64) string {
		if s < 10 {
			return fmt.Sprintf("%.1fs", s)
		}
		return fmt.Sprintf("%.0fs", s)
	},
}).Parse(pageHTML))

// Handler serves the page at / and the JSON at /api/prebuilds (GET only:
// the status is read-only).
func Handler(c *Collector) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/prebuilds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(c.Report(r.Context()))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		if err := page.Execute(w, c.Report(r.Context())); err != nil {
			log.G(r.Context()).Warn("status page", "error", err)
		}
	})
	return mux
}
