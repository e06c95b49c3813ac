// Package lease is the proxy's build lease: a short, renewable claim on one
// (repository, key) that lets one runner build a missed image while the
// others wait for it, across runner hosts and proxy replicas.
//
// A lease is one small JSON object in an objstore.Store with conditional
// writes (create-if-absent, replace-if-unchanged): the filesystem next to
// the embedded registry's storage, or the registry's S3 bucket. It expires unless its
// holder renews it, so a builder killed with kill -9 frees the key within
// one TTL. Manager holds the rules; Client is what runners call over HTTP.
package lease
