package identity

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ---- OAuth2 credential providers ----

// vendors maps each CredentialProviderVendorType to the member of Oauth2ProviderConfigInput
// that configures it, and the authorization server of the vendors whose endpoints are fixed.
var vendors = map[string]struct {
	member string
	server *serverMetadata
}{
	"GoogleOauth2":     {"googleOauth2ProviderConfig", &serverMetadata{Issuer: "https://accounts.google.com", AuthorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth", TokenEndpoint: "https://oauth2.googleapis.com/token"}},
	"GithubOauth2":     {"githubOauth2ProviderConfig", &serverMetadata{Issuer: "https://github.com", AuthorizationEndpoint: "https://github.com/login/oauth/authorize", TokenEndpoint: "https://github.com/login/oauth/access_token"}},
	"SlackOauth2":      {"slackOauth2ProviderConfig", &serverMetadata{Issuer: "https://slack.com", AuthorizationEndpoint: "https://slack.com/openid/connect/authorize", TokenEndpoint: "https://slack.com/api/openid.connect.token"}},
	"SalesforceOauth2": {"salesforceOauth2ProviderConfig", &serverMetadata{Issuer: "https://login.salesforce.com", AuthorizationEndpoint: "https://login.salesforce.com/services/oauth2/authorize", TokenEndpoint: "https://login.salesforce.com/services/oauth2/token"}},
	"MicrosoftOauth2":  {"microsoftOauth2ProviderConfig", &serverMetadata{Issuer: "https://login.microsoftonline.com/common/v2.0", AuthorizationEndpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", TokenEndpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/token"}},
	"AtlassianOauth2":  {"atlassianOauth2ProviderConfig", &serverMetadata{Issuer: "https://auth.atlassian.com", AuthorizationEndpoint: "https://auth.atlassian.com/authorize", TokenEndpoint: "https://auth.atlassian.com/oauth/token"}},
	"LinkedinOauth2":   {"linkedinOauth2ProviderConfig", &serverMetadata{Issuer: "https://www.linkedin.com/oauth", AuthorizationEndpoint: "https://www.linkedin.com/oauth/v2/authorization", TokenEndpoint: "https://www.linkedin.com/oauth/v2/accessToken"}},
	"CustomOauth2":     {"customOauth2ProviderConfig", nil},
}

// includedVendors are configured by includedOauth2ProviderConfig (issuer and endpoints given).
var includedVendors = []string{"XOauth2", "OktaOauth2", "OneLoginOauth2", "PingOneOauth2", "FacebookOauth2", "YandexOauth2",
	"RedditOauth2", "ZoomOauth2", "TwitchOauth2", "SpotifyOauth2", "DropboxOauth2", "NotionOauth2", "HubspotOauth2",
	"CyberArkOauth2", "FusionAuthOauth2", "Auth0Oauth2", "CognitoOauth2"}

func vendorMember(v string) (string, *serverMetadata, bool) {
	if d, ok := vendors[v]; ok {
		return d.member, d.server, true
	}
	for _, iv := range includedVendors {
		if iv == v {
			return "includedOauth2ProviderConfig", nil, true
		}
	}
	return "", nil, false
}

func vendorList() string {
	all := append([]string{}, includedVendors...)
	for v := range vendors {
		all = append(all, v)
	}
	sort.Strings(all)
	return strings.Join(all, ", ")
}

type serverMetadata struct {
	Issuer                   string   `json:"issuer"`
	AuthorizationEndpoint    string   `json:"authorizationEndpoint"`
	TokenEndpoint            string   `json:"tokenEndpoint"`
	ResponseTypes            []string `json:"responseTypes,omitempty"`
	TokenEndpointAuthMethods []string `json:"tokenEndpointAuthMethods,omitempty"`
}

type discovery struct {
	DiscoveryURL string          `json:"discoveryUrl,omitempty"`
	Metadata     *serverMetadata `json:"authorizationServerMetadata,omitempty"`
}

// vendorConfig is any member of Oauth2ProviderConfigInput: the fields of all of them.
type vendorConfig struct {
	ClientID              *string          `json:"clientId"`
	ClientSecret          *string          `json:"clientSecret"`
	TenantID              *string          `json:"tenantId"`
	Issuer                *string          `json:"issuer"`
	AuthorizationEndpoint *string          `json:"authorizationEndpoint"`
	TokenEndpoint         *string          `json:"tokenEndpoint"`
	OAuthDiscovery        *discovery       `json:"oauthDiscovery"`
	ClientAuthMethod      *string          `json:"clientAuthenticationMethod"`
	PrivateEndpoint       *json.RawMessage `json:"privateEndpoint"`
	PrivateOverrides      *json.RawMessage `json:"privateEndpointOverrides"`
	OnBehalfOf            *json.RawMessage `json:"onBehalfOfTokenExchangeConfig"`
}

type oauth2Rec struct {
	Name       string            `json:"name"`
	Arn        string            `json:"arn"`
	Vendor     string            `json:"vendor"`
	Member     string            `json:"member"`
	ClientID   string            `json:"clientId"`
	SecretArn  string            `json:"secretArn"`
	Discovery  discovery         `json:"discovery"`
	AuthMethod string            `json:"authMethod,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Created    time.Time         `json:"created"`
	Updated    time.Time         `json:"updated"`
}

type oauth2Input struct {
	Name   *string                  `json:"name"`
	Vendor *string                  `json:"credentialProviderVendor"`
	Config map[string]*vendorConfig `json:"oauth2ProviderConfigInput"`
	Tags   map[string]string        `json:"tags"`
}

var (
	clientIDField     = newField("clientId", 1, 256, "")
	discoveryURLField = newField("discoveryUrl", 0, 0, `.+/\.well-known/(openid-configuration|oauth-authorization-server)`)
)

// check validates the input and returns the provider it describes (without its secret).
func (in *oauth2Input) check() (*oauth2Rec, string, error) {
	if err := providerName.check(in.Name); err != nil {
		return nil, "", err
	}
	if in.Vendor == nil {
		return nil, "", fieldInvalid("credentialProviderVendor", "null", "Member must not be null")
	}
	member, server, ok := vendorMember(*in.Vendor)
	if !ok {
		return nil, "", fieldInvalid("credentialProviderVendor", *in.Vendor, "Member must satisfy enum value set: ["+vendorList()+"]")
	}
	if in.Config == nil {
		return nil, "", fieldInvalid("oauth2ProviderConfigInput", "null", "Member must not be null")
	}
	if len(in.Config) != 1 {
		return nil, "", validation("oauth2ProviderConfigInput must set exactly one member (a union), not %d", len(in.Config))
	}
	c, named := in.Config[member]
	if !named {
		for k := range in.Config {
			return nil, "", validation("credentialProviderVendor %s is configured by oauth2ProviderConfigInput.%s, not %s", *in.Vendor, member, k)
		}
	}
	if c == nil {
		return nil, "", fieldInvalid("oauth2ProviderConfigInput."+member, "null", "Member must not be null")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, "", err
	}
	rec := &oauth2Rec{Name: *in.Name, Vendor: *in.Vendor, Member: member}
	custom := member == "customOauth2ProviderConfig"
	if !custom || c.ClientID != nil {
		if err := clientIDField.check(c.ClientID); err != nil {
			return nil, "", err
		}
		rec.ClientID = *c.ClientID
	}
	secret := ""
	if !custom || c.ClientSecret != nil {
		if c.ClientSecret == nil {
			return nil, "", fieldInvalid("clientSecret", "null", "Member must not be null")
		}
		if len(*c.ClientSecret) < 1 || len(*c.ClientSecret) > 2048 {
			return nil, "", fieldInvalid("clientSecret", "***", "Member must have length between 1 and 2048")
		}
		secret = *c.ClientSecret
	}
	switch {
	case custom:
		if c.OAuthDiscovery == nil {
			return nil, "", fieldInvalid("oauthDiscovery", "null", "Member must not be null")
		}
		d := *c.OAuthDiscovery
		switch {
		case (d.DiscoveryURL == "") == (d.Metadata == nil):
			return nil, "", validation("oauthDiscovery must set exactly one of discoveryUrl and authorizationServerMetadata (a union)")
		case d.DiscoveryURL != "":
			if err := discoveryURLField.checkValue(d.DiscoveryURL); err != nil {
				return nil, "", err
			}
		default:
			if d.Metadata.Issuer == "" || d.Metadata.AuthorizationEndpoint == "" || d.Metadata.TokenEndpoint == "" {
				return nil, "", validation("authorizationServerMetadata requires issuer, authorizationEndpoint and tokenEndpoint")
			}
			for _, m := range d.Metadata.TokenEndpointAuthMethods {
				if m != "client_secret_post" && m != "client_secret_basic" {
					return nil, "", fieldInvalid("tokenEndpointAuthMethods", m, "Member must satisfy regular expression pattern: (client_secret_post|client_secret_basic)")
				}
			}
		}
		rec.Discovery = d
		if c.ClientAuthMethod != nil {
			switch *c.ClientAuthMethod {
			case "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST":
			case "AWS_IAM_ID_TOKEN_JWT":
				return nil, "", validation("clientAuthenticationMethod AWS_IAM_ID_TOKEN_JWT needs an AWS-signed identity token, which the local endpoint cannot issue: use CLIENT_SECRET_BASIC or CLIENT_SECRET_POST")
			default:
				return nil, "", fieldInvalid("clientAuthenticationMethod", *c.ClientAuthMethod, "Member must satisfy enum value set: [CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, AWS_IAM_ID_TOKEN_JWT]")
			}
			rec.AuthMethod = *c.ClientAuthMethod
		}
		if c.PrivateEndpoint != nil || c.PrivateOverrides != nil || c.OnBehalfOf != nil {
			return nil, "", validation("privateEndpoint, privateEndpointOverrides and onBehalfOfTokenExchangeConfig need AWS networking or token exchange, which the local endpoint does not have")
		}
	case member == "includedOauth2ProviderConfig":
		m := &serverMetadata{}
		if c.Issuer != nil {
			m.Issuer = *c.Issuer
		}
		if c.AuthorizationEndpoint != nil {
			m.AuthorizationEndpoint = *c.AuthorizationEndpoint
		}
		if c.TokenEndpoint != nil {
			m.TokenEndpoint = *c.TokenEndpoint
		}
		rec.Discovery = discovery{Metadata: m}
	default:
		m := *server
		if *in.Vendor == "MicrosoftOauth2" && c.TenantID != nil && *c.TenantID != "" {
			r := strings.NewReplacer("/common/", "/"+*c.TenantID+"/")
			m.Issuer, m.AuthorizationEndpoint, m.TokenEndpoint = r.Replace(m.Issuer), r.Replace(m.AuthorizationEndpoint), r.Replace(m.TokenEndpoint)
		}
		rec.Discovery = discovery{Metadata: &m}
	}
	return rec, secret, nil
}

func (r *oauth2Rec) out(full bool) map[string]any {
	out := map[string]any{"name": r.Name, "credentialProviderArn": r.Arn, "credentialProviderVendor": r.Vendor,
		"createdTime": epoch(r.Created), "lastUpdatedTime": epoch(r.Updated)}
	if full {
		if r.SecretArn != "" {
			out["clientSecretArn"] = map[string]string{"secretArn": r.SecretArn}
		}
		cfg := map[string]any{"oauthDiscovery": r.Discovery}
		if r.ClientID != "" {
			cfg["clientId"] = r.ClientID
		}
		if r.AuthMethod != "" {
			cfg["clientAuthenticationMethod"] = r.AuthMethod
		}
		out["oauth2ProviderConfigOutput"] = map[string]any{r.Member: cfg}
		out["status"] = "READY"
	}
	return out
}

func (s *Service) createOAuth2(_ *http.Request, in *oauth2Input) (int, any, error) {
	rec, secret, err := in.check()
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.loadOAuth2(rec.Name); err == nil {
		return 0, nil, conflict("Credential provider with name: %s already exists", rec.Name)
	}
	if secret != "" {
		if rec.SecretArn, err = s.cfg.Secrets.PutManaged(secretName("oauth2", rec.Name), secret); err != nil {
			return 0, nil, err
		}
	}
	now := s.cfg.Now().UTC()
	rec.Arn, rec.Tags, rec.Created, rec.Updated = s.providerArn("oauth2credentialprovider", rec.Name), in.Tags, now, now
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if old, err := get[oauth2Rec](tx, bucketOAuth2, rec.Name); err != nil || old != nil {
			if err == nil {
				err = conflict("Credential provider with name: %s already exists", rec.Name)
			}
			return err
		}
		return put(tx, bucketOAuth2, rec.Name, rec)
	})
	if err != nil {
		return 0, nil, err
	}
	out := rec.out(true)
	delete(out, "createdTime")
	delete(out, "lastUpdatedTime")
	delete(out, "credentialProviderVendor")
	return http.StatusCreated, out, nil
}

var oauth2s = records[oauth2Rec]{bucket: bucketOAuth2, what: "Credential provider", name: providerName,
	out: (*oauth2Rec).out, listKey: "credentialProviders", max: 20}

func (s *Service) loadOAuth2(name string) (*oauth2Rec, error) { return oauth2s.load(s, name) }

func (s *Service) getOAuth2(_ *http.Request, in *nameInput) (int, any, error) {
	return oauth2s.getOp(s, in)
}

func (s *Service) listOAuth2(_ *http.Request, in *listInput) (int, any, error) {
	return oauth2s.listOp(s, in)
}

func (s *Service) updateOAuth2(_ *http.Request, in *oauth2Input) (int, any, error) {
	in.Tags = nil // not a member of the update
	rec, secret, err := in.check()
	if err != nil {
		return 0, nil, err
	}
	old, err := s.loadOAuth2(rec.Name)
	if err != nil {
		return 0, nil, err
	}
	if secret != "" {
		if rec.SecretArn, err = s.cfg.Secrets.PutManaged(secretName("oauth2", rec.Name), secret); err != nil {
			return 0, nil, err
		}
	}
	rec.Arn, rec.Tags, rec.Created, rec.Updated = old.Arn, old.Tags, old.Created, s.cfg.Now().UTC()
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if cur, err := get[oauth2Rec](tx, bucketOAuth2, rec.Name); err != nil || cur == nil {
			if err == nil {
				err = notFound("Credential provider %s not found", rec.Name)
			}
			return err
		}
		return put(tx, bucketOAuth2, rec.Name, rec)
	})
	if err != nil {
		return 0, nil, err
	}
	if secret == "" && old.SecretArn != "" {
		s.cfg.Secrets.DeleteManaged(old.SecretArn)
	}
	return http.StatusOK, rec.out(true), nil
}

func (s *Service) deleteOAuth2(_ *http.Request, in *nameInput) (int, any, error) {
	rec, err := oauth2s.remove(s, in)
	if err != nil {
		return 0, nil, err
	}
	if rec.SecretArn != "" {
		if err := s.cfg.Secrets.DeleteManaged(rec.SecretArn); err != nil {
			s.cfg.Logf("identity: deleting the secret of OAuth2 provider %s: %v", rec.Name, err)
		}
	}
	return http.StatusNoContent, nil, nil
}
