package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/internal/contract"
	"github.com/devcache/devcache/registryproxy/credentials"
	"github.com/devcache/devcache/registryproxy/keys"
	"github.com/devcache/devcache/registryproxy/service"
)

func newCredentialsCommand() *cobra.Command {
	var (
		f       configFlags
		project string
		purpose string
		ttl     time.Duration
		forWhat string
		admin   string
		secret  string
		local   bool
		tlsCA   string
		tlsCert string
		tlsKey  string
	)
	cmd := &cobra.Command{
		Use:   "credentials --project P --purpose create|rebuild|refresh",
		Short: "Issue a short-lived registry credential for a project",
		Long: `credentials prints {"username","password","expires_at"} as JSON, usable with
docker login, buildx and containerd. create may pull and push
projects/P/image-build and projects/P/prebuild; rebuild and refresh may only
pull. It asks the admin endpoint (--admin, default the state directory's
admin socket, authenticated with the key file's admin secret), or with
--local signs the credential itself from the key file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if project == "" || purpose == "" {
				return errors.New("--project and --purpose are required")
			}
			cfg, err := f.load()
			if err != nil {
				return err
			}
			req := credentials.Request{Project: project, Purpose: contract.Purpose(purpose), TTL: ttl, For: forWhat}
			var issuer credentials.Issuer
			if local {
				_, auth, err := service.LoadAuthority(cfg)
				if err != nil {
					return err
				}
				issuer = service.Issuer(cfg, auth)
			} else {
				adminSecret, err := readSecret(secret, cfg.Auth.KeysFile)
				if err != nil && (tlsCert == "" || secret != "") {
					return err // a client certificate may stand in for the key file's secret
				}
				addr := admin
				if addr == "" {
					addr = cfg.Server.AdminAddr
				}
				if addr == cfg.Server.AdminAddr && cfg.Server.AdminTLS.Enabled() {
					addr = "https://" + addr
				}
				opts, err := credentials.TLSOptions(addr, tlsCA, tlsCert, tlsKey)
				if err != nil {
					return err
				}
				issuer = credentials.NewClient(addr, adminSecret, opts...)
			}
			cred, err := issuer.Issue(cmd.Context(), req)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(cred)
		},
	}
	f.register(cmd, false)
	cmd.Flags().StringVar(&project, "project", "", "project id (one lowercase OCI name component)")
	cmd.Flags().StringVar(&purpose, "purpose", "", "create, rebuild or refresh")
	cmd.Flags().DurationVar(&ttl, "ttl", 0, "credential lifetime (default: the proxy's auth.credential_ttl)")
	cmd.Flags().StringVar(&forWhat, "for", "", "image-cache or prebuild: what the credential is for (cache.enabled = false refuses image-cache)")
	cmd.Flags().StringVar(&admin, "admin", "", "admin endpoint (unix:PATH, HOST:PORT or URL); default server.admin_addr")
	cmd.Flags().StringVar(&secret, "admin-secret-file", "", "file holding the admin secret (default: admin_secret of the key file)")
	cmd.Flags().StringVar(&tlsCA, "admin-ca", "", "with an https admin endpoint: CA bundle that verifies it")
	cmd.Flags().StringVar(&tlsCert, "admin-cert", "", "with an https admin endpoint: client certificate")
	cmd.Flags().StringVar(&tlsKey, "admin-key", "", "the client certificate's key")
	cmd.Flags().BoolVar(&local, "local", false, "sign locally from the key file instead of calling the admin endpoint")
	return cmd
}

// readSecret reads the admin secret from file, or from the key file.
func readSecret(file, keysFile string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	kf, err := keys.Load(keysFile)
	if err != nil {
		return "", fmt.Errorf("reading the admin secret (pass --admin-secret-file on hosts without the key file): %w", err)
	}
	return kf.AdminSecret, nil
}
