package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/devcache/devcache/registryproxy/keys"
)

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the token signing keys",
	}
	var (
		f    configFlags
		keep int
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key; keep the previous ones for verification",
		Long: `rotate prepends a new Ed25519 signing key to the key file (it signs from
the next start of serve) and keeps at most --keep keys, so credentials and
tokens signed by the previous key stay valid until they expire. Copy the file
to every replica and restart them; drop old keys after auth.max_credential_ttl.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load()
			if err != nil {
				return err
			}
			kf, err := keys.LoadOrCreate(cfg.Auth.KeysFile)
			if err != nil {
				return err
			}
			k, err := kf.Rotate(keep)
			if err != nil {
				return err
			}
			if err := keys.Save(cfg.Auth.KeysFile, kf); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "new signing key %s; %d keys in %s\n", k.ID, len(kf.SigningKeys), cfg.Auth.KeysFile)
			return err
		},
	}
	f.register(rotate, false)
	rotate.Flags().IntVar(&keep, "keep", 2, "keys to keep, the new one included (at least 2)")
	cmd.AddCommand(rotate)
	return cmd
}
