package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// ecrRefreshMargin renews an ECR authorization token this long before it
// expires (they live 12 hours).
const ecrRefreshMargin = 30 * time.Minute

// ecrCredentials logs in to Amazon ECR with the AWS SDK's default
// credential chain (environment, shared config, SSO, IMDS/IRSA roles):
// GetAuthorizationToken yields "AWS:<password>" for basic auth on the
// registry API, cached until shortly before it expires.
type ecrCredentials struct {
	client *ecr.Client

	mu       sync.Mutex
	user     string
	password string
	exp      time.Time
	now      func() time.Time
}

// NewECRCredentials loads the default AWS configuration for region (empty:
// from the environment or shared config). endpoint overrides the ECR API
// endpoint (VPC endpoints, tests).
func NewECRCredentials(ctx context.Context, region, endpoint string) (CredentialSource, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("ecr credentials: %w", err)
	}
	client := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &ecrCredentials{client: client, now: time.Now}, nil
}

func (e *ecrCredentials) Basic(ctx context.Context) (string, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.password != "" && e.now().Before(e.exp.Add(-ecrRefreshMargin)) {
		return e.user, e.password, nil
	}
	out, err := e.client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", "", fmt.Errorf("ecr GetAuthorizationToken: %w", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return "", "", errors.New("ecr GetAuthorizationToken returned no token")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return "", "", fmt.Errorf("ecr authorization token: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", errors.New("ecr authorization token is not user:password")
	}
	e.user, e.password = user, password
	e.exp = e.now().Add(12 * time.Hour)
	if d.ExpiresAt != nil {
		e.exp = *d.ExpiresAt
	}
	return e.user, e.password, nil
}
