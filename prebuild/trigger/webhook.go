package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/devcache/devcache/internal/log"
)

// Push is a new commit on a branch of a project.
type Push struct {
	Project string    `json:"project"`
	Branch  string    `json:"branch"`
	Commit  string    `json:"commit"`
	Source  string    `json:"source"`
	At      time.Time `json:"at"`
}

// maxPayload bounds a webhook body (GitHub caps its payloads at 25 MB; a
// push with thousands of commits is far below this).
const maxPayload = 5 << 20

// signatureWindow is how old a GitLab signed webhook's timestamp may be.
const signatureWindow = 5 * time.Minute

// Webhook serves POST /hooks/push: GitHub push events (X-Hub-Signature-256)
// and GitLab push hooks (signed webhooks: webhook-id, webhook-timestamp,
// webhook-signature). The signature is checked over the raw body before the
// payload is read; a missing or bad one is 401 and nothing runs.
type Webhook struct {
	Secret   []byte
	Projects []Project
	// Push receives the accepted pushes (the debouncer).
	Push func(Push)
	Now  func() time.Time
}

func (w *Webhook) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxPayload))
	if err != nil {
		http.Error(rw, "payload too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	forge, err := w.verify(r.Header, body)
	if err != nil {
		log.G(ctx).Warn("webhook refused", "remote", r.RemoteAddr, "reason", err)
		http.Error(rw, "signature: "+err.Error(), http.StatusUnauthorized)
		return
	}
	event := r.Header.Get("X-GitHub-Event")
	if forge == "gitlab" {
		event = r.Header.Get("X-Gitlab-Event")
	}
	switch event {
	case "push", "Push Hook":
	case "ping":
		_, _ = io.WriteString(rw, "pong\n")
		return
	default:
		rw.WriteHeader(http.StatusAccepted)
		_, _ = fmt.Fprintf(rw, "event %q ignored\n", event)
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(rw, "push payload: "+err.Error(), http.StatusBadRequest)
		return
	}
	pushes := w.pushes(p, forge)
	for _, ps := range pushes {
		log.G(ctx).Info("push", "project", ps.Project, "branch", ps.Branch, "commit", ps.Commit, "source", ps.Source)
		w.Push(ps)
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(rw).Encode(map[string]any{"accepted": pushes})
}

// verify checks the body's signature and says which forge signed it.
func (w *Webhook) verify(h http.Header, body []byte) (string, error) {
	if len(w.Secret) == 0 {
		return "", fmt.Errorf("no webhook secret is configured")
	}
	if sig := h.Get("X-Hub-Signature-256"); sig != "" {
		hexSig, ok := strings.CutPrefix(sig, "sha256=")
		got, err := hex.DecodeString(hexSig)
		if !ok || err != nil {
			return "", fmt.Errorf("X-Hub-Signature-256 is not sha256=<hex>")
		}
		if !hmac.Equal(got, mac(w.Secret, body)) {
			return "", fmt.Errorf("X-Hub-Signature-256 does not match")
		}
		return "github", nil
	}
	if sigs := h.Get("Webhook-Signature"); sigs != "" {
		id, ts := h.Get("Webhook-Id"), h.Get("Webhook-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if id == "" || err != nil {
			return "", fmt.Errorf("webhook-id and webhook-timestamp are required with webhook-signature")
		}
		if d := w.now().Sub(time.Unix(sec, 0)); d > signatureWindow || d < -signatureWindow {
			return "", fmt.Errorf("webhook-timestamp is more than %s away (replayed?)", signatureWindow)
		}
		want := mac(w.Secret, []byte(id+"."+ts+"."), body)
		for _, s := range strings.Fields(sigs) {
			b64, ok := strings.CutPrefix(s, "v1,")
			got, err := base64.StdEncoding.DecodeString(b64)
			if ok && err == nil && hmac.Equal(got, want) {
				return "gitlab", nil
			}
		}
		return "", fmt.Errorf("webhook-signature does not match")
	}
	return "", fmt.Errorf("missing (X-Hub-Signature-256 or webhook-signature)")
}

func mac(secret []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Sign is the X-Hub-Signature-256 value of body (for tests and tools).
func Sign(secret, body []byte) string { return "sha256=" + hex.EncodeToString(mac(secret, body)) }

// SignGitLab is the webhook-signature value of a GitLab signed webhook.
func SignGitLab(secret []byte, id string, ts int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, []byte(id+"."+strconv.FormatInt(ts, 10)+"."), body))
}

// payload is what GitHub's push event and GitLab's push hook share.
type payload struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Deleted    bool   `json:"deleted"`
	Repository struct {
		FullName   string `json:"full_name"`
		CloneURL   string `json:"clone_url"`
		GitURL     string `json:"git_url"`
		SSHURL     string `json:"ssh_url"`
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
	} `json:"repository"`
	Project struct {
		PathWithNamespace string `json:"path_with_namespace"`
		GitHTTPURL        string `json:"git_http_url"`
		GitSSHURL         string `json:"git_ssh_url"`
	} `json:"project"`
}

// pushes maps a payload onto the configured projects whose repository and
// branches it matches. Tag pushes and branch deletions start nothing.
func (w *Webhook) pushes(p payload, forge string) []Push {
	branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
	if !ok || p.Deleted || strings.Trim(p.After, "0") == "" || !hexID(p.After) {
		return nil
	}
	names := []string{p.Repository.FullName, p.Project.PathWithNamespace}
	urls := []string{p.Repository.CloneURL, p.Repository.GitURL, p.Repository.SSHURL, p.Repository.GitHTTPURL, p.Repository.GitSSHURL, p.Project.GitHTTPURL, p.Project.GitSSHURL}
	var out []Push
	for _, pr := range w.Projects {
		if !(pr.Repository != "" && contains(names, pr.Repository) || contains(urls, pr.Remote)) || !pr.Wants(branch) {
			continue
		}
		out = append(out, Push{Project: pr.ID, Branch: branch, Commit: p.After, Source: "webhook:" + forge, At: w.now()})
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v != "" && v == s {
			return true
		}
	}
	return false
}

func hexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
