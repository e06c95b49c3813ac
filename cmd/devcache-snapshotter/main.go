// Command devcache-snapshotter is a containerd proxy snapshotter plugin built
// on overlayfs that captures prebuild filesystems as OCI layers and restores
// them lazily.
package main

import "github.com/devcache/devcache/internal/cli"

func main() {
	cli.Main(newRootCommand())
}
