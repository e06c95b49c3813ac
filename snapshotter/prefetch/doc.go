// Package prefetch records the files an environment reads while it starts
// and keeps them with its cached image, so that later lazy starts fetch
// those first.
//
//   - Record watches a container's root filesystem mount with fanotify (as
//     stargz-snapshotter's optimizer does) and returns the paths opened in
//     it, in the order they were first opened.
//   - A List is stored beside the cached image as the write-once artifact
//     <key>-prefetch (config media type MediaType, one JSON layer), pushed
//     with the environment's create credentials.
//   - On a lazy start, devcache-snapshotter reads the listed files of each
//     layer it mounts, ahead of the environment (snapshotter/restore).
package prefetch
