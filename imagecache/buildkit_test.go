package imagecache

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/stretchr/testify/require"
)

func TestRecordBuildTimeKeepsConfig(t *testing.T) {
	res := gwclient.NewResult()
	res.AddMeta(exptypes.ExporterImageConfigKey, []byte(`{"architecture":"amd64","config":{"Env":["A=1"],"Labels":{"x":"y"}},"rootfs":{"type":"layers"}}`))
	res.AddMeta(exptypes.ExporterImageConfigKey+"/linux/arm64", []byte(`{"architecture":"arm64","config":{}}`))
	res.AddMeta("other", []byte("untouched"))
	require.NoError(t, recordBuildTime(res, 225*time.Second+400*time.Millisecond))

	var img struct {
		Architecture string
		Config       struct {
			Env    []string
			Labels map[string]string
		}
		RootFS json.RawMessage `json:"rootfs"`
	}
	require.NoError(t, json.Unmarshal(res.Metadata[exptypes.ExporterImageConfigKey], &img))
	require.Equal(t, "amd64", img.Architecture)
	require.Equal(t, []string{"A=1"}, img.Config.Env)
	require.Equal(t, map[string]string{"x": "y", BuildSecondsLabel: "225.4"}, img.Config.Labels)
	require.JSONEq(t, `{"type":"layers"}`, string(img.RootFS))

	require.NoError(t, json.Unmarshal(res.Metadata[exptypes.ExporterImageConfigKey+"/linux/arm64"], &img))
	require.Equal(t, "225.4", img.Config.Labels[BuildSecondsLabel])
	require.Equal(t, "untouched", string(res.Metadata["other"]))
}

func TestRecordBuildTimeRejectsGarbage(t *testing.T) {
	res := gwclient.NewResult()
	res.AddMeta(exptypes.ExporterImageConfigKey, []byte(`not json`))
	require.Error(t, recordBuildTime(res, time.Second))
}

func TestSessionAuth(t *testing.T) {
	auth := sessionAuth(Auth{&HostCredentials{Host: "127.0.0.1:5000", Username: "u", Password: "p"}})
	ac, err := auth(context.Background(), "127.0.0.1:5000", nil, nil)
	require.NoError(t, err)
	require.Equal(t, "u", ac.Username)
	ac, err = auth(context.Background(), "elsewhere:5000", nil, nil)
	require.NoError(t, err)
	require.Empty(t, ac.Username)
}

func TestLayerAttrs(t *testing.T) {
	for _, tc := range []struct{ set, want string }{{"", "estargz"}, {"zstd", "zstd"}, {"gzip", "gzip"}} {
		attrs := (&BuildKit{Compression: tc.set}).layerAttrs(map[string]string{"name": "x"})
		require.Equal(t, map[string]string{"name": "x", "oci-mediatypes": "true", "compression": tc.want, "force-compression": "true"}, attrs, tc.set)
	}
}

func TestCheckCompression(t *testing.T) {
	for _, c := range []string{"", "estargz", "zstd", "gzip"} {
		require.NoError(t, CheckCompression(c))
	}
	err := CheckCompression("lz4")
	require.ErrorIs(t, err, cerrdefs.ErrInvalidArgument)
	require.ErrorContains(t, err, `layer compression "lz4": want one of estargz, zstd, gzip`)
}
