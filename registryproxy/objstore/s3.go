package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/containerd/errdefs"
)

// S3 keeps objects in a bucket under Prefix. Create is a PutObject with
// If-None-Match: * and Replace/Delete carry If-Match: <ETag>: the bucket
// decides atomically (AWS S3 since 2024; SeaweedFS evaluates both under its
// per-object lock), so replicas on any host see one winner.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// S3Options locate the bucket; they mirror [backend.storage.s3].
type S3Options struct {
	Endpoint       string // "" is AWS
	Region         string
	Bucket         string
	Prefix         string // key prefix (the registry's root directory + "/devcache")
	AccessKey      string // empty: the AWS default credential chain
	SecretKey      string
	ForcePathStyle bool
}

// NewS3 returns a store in o.Bucket.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(o.Region)}
	if o.AccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("objstore: s3 configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.ForcePathStyle
		// Small objects: plain Content-MD5-free PUTs that every S3 server takes.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return &S3{client: client, bucket: o.Bucket, prefix: strings.Trim(o.Prefix, "/")}, nil
}

func (s *S3) key(k string) string { return path.Join(s.prefix, k) }

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key))})
	if status(err) == http.StatusNotFound {
		return nil, "", fmt.Errorf("object %s: %w", key, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return nil, "", fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
	}
	return b, aws.ToString(out.ETag), nil
}

func (s *S3) put(ctx context.Context, key string, data []byte, ifMatch, ifNoneMatch *string) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: aws.String(s.key(key)), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/json"),
		IfMatch: ifMatch, IfNoneMatch: ifNoneMatch,
	})
	return err
}

// Create implements Store.
func (s *S3) Create(ctx context.Context, key string, data []byte) error {
	err := s.put(ctx, key, data, nil, aws.String("*"))
	switch status(err) {
	case 0:
		if err != nil {
			return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
		}
		return nil
	case http.StatusPreconditionFailed, http.StatusConflict: // 409: a concurrent conditional write won
		return fmt.Errorf("object %s: %w", key, errdefs.ErrAlreadyExists)
	}
	return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
}

// Replace implements Store.
func (s *S3) Replace(ctx context.Context, key string, data []byte, version string) error {
	err := s.put(ctx, key, data, aws.String(version), nil)
	switch status(err) {
	case 0:
		if err != nil {
			return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
		}
		return nil
	case http.StatusPreconditionFailed, http.StatusConflict, http.StatusNotFound:
		return fmt.Errorf("object %s changed: %w", key, errdefs.ErrConflict)
	}
	return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key, version string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key)), IfMatch: aws.String(version)})
	switch status(err) {
	case 0:
		if err != nil {
			return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
		}
		return nil
	case http.StatusNotFound:
		return nil
	case http.StatusPreconditionFailed, http.StatusConflict:
		// SeaweedFS answers 412 for an If-Match on a missing key.
		if _, _, gerr := s.Get(ctx, key); errdefs.IsNotFound(gerr) {
			return nil
		}
		return fmt.Errorf("object %s changed: %w", key, errdefs.ErrConflict)
	}
	return fmt.Errorf("object %s: %w: %w", key, err, errdefs.ErrUnavailable)
}
