package iam

import "testing"

func TestProviderURL(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com": "token.actions.githubusercontent.com",
		"arn:aws-cn:iam::123456789012:oidc-provider/gitlab.example.com/path":          "gitlab.example.com/path",
		"arn:aws:iam::123456789012:saml-provider/corp":                                "",
		"": "",
	} {
		if got := ProviderURL(arn); got != want {
			t.Errorf("ProviderURL(%q) = %q, want %q", arn, got, want)
		}
	}
}
