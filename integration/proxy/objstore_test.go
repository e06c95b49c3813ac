package proxy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/devcache/devcache/registryproxy/objstore"
	"github.com/devcache/devcache/registryproxy/objstore/objstoretest"
)

// TestS3ConditionalWrites: the stack's SeaweedFS honours If-None-Match: *
// and If-Match on PUT and DELETE atomically: of 50 concurrent creates (and
// 50 replaces of one version) exactly one wins. Leases and write-once tags
// across replicas rest on this.
func TestS3ConditionalWrites(t *testing.T) {
	st := s3Storage(t)
	s, err := objstore.NewS3(context.Background(), objstore.S3Options{Endpoint: st.Endpoint, Region: st.Region, Bucket: st.Bucket,
		Prefix: st.RootDirectory, AccessKey: st.AccessKey, SecretKey: st.SecretKey, ForcePathStyle: true})
	require.NoError(t, err)
	objstoretest.Run(t, s, fmt.Sprintf("conformance/%d", time.Now().UnixNano()))
}
