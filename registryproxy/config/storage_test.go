package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStorageS3(t *testing.T) {
	c, err := Load(write(t, `version = 1
[server]
state_dir = "/tmp/x"
[backend]
type = "embedded"
[backend.storage.s3]
endpoint = "http://127.0.0.1:8333"
bucket = "devcache"
access_key = "a"
secret_key = "s"
force_path_style = true
`))
	require.NoError(t, err)
	s := c.Backend.Storage.S3
	require.NotNil(t, s)
	require.Equal(t, "us-east-1", s.Region, "default region with an endpoint")
	require.True(t, s.ForcePathStyle)

	for _, tc := range []struct{ body, want string }{
		{"bucket = \"\"\nendpoint = \"http://127.0.0.1:8333\"", "bucket is empty"},
		{"bucket = \"b\"\nendpoint = \"127.0.0.1:8333\"", `endpoint "127.0.0.1:8333" is not a URL`},
		{"bucket = \"b\"\nendpoint = \"ftp://h\"", "is not a URL"},
		{"bucket = \"b\"\nendpoint = \"http://h/b\"", "only scheme, host and port"},
		{"bucket = \"b\"", "region is required with AWS"},
		{"bucket = \"b\"\nregion = \"eu-west-1\"\naccess_key = \"a\"", "access_key and secret_key go together"},
		{"bucket = \"b\"\nregion = \"eu-west-1\"\nbogus = 1", "bogus"},
	} {
		_, err := Load(write(t, "version = 1\n[server]\nstate_dir = \"/tmp/x\"\n[backend.storage.s3]\n"+tc.body+"\n"))
		require.ErrorContains(t, err, tc.want, tc.body)
	}
	_, err = Load(write(t, "version = 1\n[backend]\ntype = \"registry\"\nurl = \"http://r\"\n[backend.storage.s3]\nbucket = \"b\"\nregion = \"r\"\n"))
	require.ErrorContains(t, err, "embedded registry only")
}
