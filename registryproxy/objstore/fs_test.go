package objstore_test

import (
	"testing"

	"github.com/devcache/devcache/registryproxy/objstore"
	"github.com/devcache/devcache/registryproxy/objstore/objstoretest"
)

func TestFS(t *testing.T) {
	objstoretest.Run(t, &objstore.FS{Dir: t.TempDir()}, "leases/projects/a/image-build/k")
}
