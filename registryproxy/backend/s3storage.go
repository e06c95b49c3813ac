package backend

import (
	"net/http"
	"strings"

	"github.com/distribution/distribution/v3/configuration"
)

// S3Storage puts the embedded registry's data in an S3 bucket with
// distribution's own s3-aws driver.
type S3Storage struct {
	// Endpoint is a non-AWS S3 API URL ("" is AWS).
	Endpoint string
	Region   string
	Bucket   string
	// RootDirectory is a key prefix in the bucket.
	RootDirectory string
	// AccessKey and SecretKey; empty: the AWS default credential chain.
	AccessKey      string
	SecretKey      string
	ForcePathStyle bool
}

// apply replaces the filesystem driver of st with the s3 driver. Storage
// redirects stay off: blob bytes flow through the proxy, so clients never
// need to reach the bucket.
func (s *S3Storage) apply(st configuration.Storage) {
	delete(st, "filesystem")
	p := configuration.Parameters{
		"region":         s.Region,
		"bucket":         s.Bucket,
		"forcepathstyle": s.ForcePathStyle,
		"secure":         !strings.HasPrefix(s.Endpoint, "http://"),
		"v4auth":         true,
	}
	if s.Endpoint != "" {
		p["regionendpoint"] = s.Endpoint
	}
	if s.RootDirectory != "" {
		p["rootdirectory"] = s.RootDirectory
	}
	if s.AccessKey != "" {
		p["accesskey"], p["secretkey"] = s.AccessKey, s.SecretKey
	}
	st["s3"] = p
	st["redirect"] = configuration.Parameters{"disable": true}
}

// Objects is the embedded registry over S3 as a backend: unlike *Embedded
// it has no blob files for the proxy to send itself, so blob bytes are
// relayed from the registry.
type Objects struct{ e *Embedded }

// RoundTrip sends req to the embedded registry.
func (o Objects) RoundTrip(req *http.Request) (*http.Response, error) { return o.e.RoundTrip(req) }

// Close stops the registry.
func (o Objects) Close() error { return o.e.Close() }

// BaseURL is the registry's URL for direct clients (tests), TCP listeners only.
func (o Objects) BaseURL() string { return o.e.BaseURL() }

// Backend is e as the proxy should use it: itself over the filesystem
// (blob files served directly), Objects over S3.
func (e *Embedded) Backend() interface {
	http.RoundTripper
	Close() error
} {
	if e.s3 != nil {
		return Objects{e}
	}
	return e
}
