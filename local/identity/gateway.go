package identity

import (
	"context"
	"fmt"
	"strings"
)

// Outbound credentials of the local Gateway (local/gateway): a target names a credential
// provider by ARN, and the gateway, like AgentCore's, reads the provider's key or runs its
// client-credentials grant with no workload token of its own.

// providerName is the name in a provider ARN of this endpoint of the given kind
// (apikeycredentialprovider, oauth2credentialprovider).
func (s *Service) providerName(arn, kind string) (string, error) {
	prefix := s.providerArn(kind, "")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("%s is not the ARN of a credential provider of this endpoint (%s<name>)", arn, prefix)
	}
	return name, nil
}

// APIKey returns the key of the API key credential provider arn.
func (s *Service) APIKey(arn string) (string, error) {
	name, err := s.providerName(arn, "apikeycredentialprovider")
	if err != nil {
		return "", err
	}
	rec, err := s.loadAPIKey(name)
	if err != nil {
		return "", err
	}
	key, err := s.cfg.Secrets.ManagedValue(rec.SecretArn)
	if err != nil {
		return "", fmt.Errorf("the API key of credential provider %s is gone from Secrets Manager (%s): set it again with UpdateApiKeyCredentialProvider", rec.Name, rec.SecretArn)
	}
	return key, nil
}

// OAuth2Token runs the client-credentials grant of the OAuth2 credential provider arn.
func (s *Service) OAuth2Token(ctx context.Context, arn string, scopes []string, custom map[string]string) (string, error) {
	name, err := s.providerName(arn, "oauth2credentialprovider")
	if err != nil {
		return "", err
	}
	rec, err := s.loadOAuth2(name)
	if err != nil {
		return "", err
	}
	return s.clientCredentials(ctx, rec, &resourceInput{Scopes: scopes, CustomParameters: custom})
}
