// Package smoke proves the stack is real: buildkitd runs a command in the
// busybox base image and pushes the result to the registry, and containerd
// pulls that image back and runs it with runc.
package smoke
