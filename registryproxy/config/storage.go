package config

import (
	"errors"
	"fmt"
	"net/url"
)

// Storage is [backend.storage]: where the embedded registry keeps its
// data. Empty means the filesystem under <state_dir>/registry.
type Storage struct {
	// S3 keeps the embedded registry's data in an S3 bucket (distribution's
	// s3-aws driver): replicas sharing one bucket share one registry.
	S3 *S3 `toml:"s3"`
}

// S3 is [backend.storage.s3].
type S3 struct {
	// Endpoint is the S3 API URL of a non-AWS server (SeaweedFS, MinIO,
	// ...); empty means AWS.
	Endpoint string `toml:"endpoint"`
	// Region is the bucket's region (default us-east-1 with an endpoint;
	// required for AWS).
	Region string `toml:"region"`
	// Bucket holds the registry's data; it must exist.
	Bucket string `toml:"bucket"`
	// RootDirectory is a key prefix inside the bucket (default: none).
	RootDirectory string `toml:"root_directory"`
	// AccessKey and SecretKey are static credentials; both empty means the
	// AWS SDK's default credential chain (environment, shared files, IAM role).
	AccessKey string `toml:"access_key"`
	SecretKey string `toml:"secret_key"`
	// ForcePathStyle addresses the bucket as <endpoint>/<bucket> instead of
	// <bucket>.<endpoint> (needed by most non-AWS servers).
	ForcePathStyle bool `toml:"force_path_style"`
}

// finishStorage validates [backend.storage].
func (c *Config) finishStorage() error {
	s := c.Backend.Storage.S3
	if s == nil {
		return nil
	}
	if c.Backend.Type != "embedded" {
		return fmt.Errorf("backend.storage.s3 is set but backend.type is %q: storage configures the embedded registry only", c.Backend.Type)
	}
	if s.Bucket == "" {
		return errors.New("backend.storage.s3.bucket is empty: name the bucket the embedded registry stores into")
	}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("backend.storage.s3.endpoint %q is not a URL: want http(s)://host[:port]", s.Endpoint)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return fmt.Errorf("backend.storage.s3.endpoint %q: want only scheme, host and port (the bucket goes in backend.storage.s3.bucket)", s.Endpoint)
		}
		if s.Region == "" {
			s.Region = "us-east-1"
		}
	} else if s.Region == "" {
		return errors.New("backend.storage.s3.region is required with AWS (backend.storage.s3.endpoint empty)")
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		return errors.New("backend.storage.s3.access_key and secret_key go together (both empty: the AWS default credential chain)")
	}
	return nil
}
