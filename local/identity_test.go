package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dptypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/agentcore/agentcore/local/auth"
)

// Patterns of the models (bedrock-agentcore-control 2023-06-05), for the values answered.
var (
	secretArnRE   = regexp.MustCompile(`^arn:(aws|aws-us-gov):secretsmanager:[A-Za-z0-9-]{1,64}:[0-9]{12}:secret:[a-zA-Z0-9-_/+=.@!]+$`)
	apiKeyArnRE   = regexp.MustCompile(`^arn:aws:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:token-vault/[a-zA-Z0-9-.]+/apikeycredentialprovider/[a-zA-Z0-9-._]+$`)
	oauth2ArnRE   = regexp.MustCompile(`^arn:aws:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:token-vault/[a-zA-Z0-9-.]+/oauth2credentialprovider/[a-zA-Z0-9-._]+$`)
	workloadArnRE = regexp.MustCompile(`^arn:aws:bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:workload-identity-directory/default/workload-identity/[A-Za-z0-9_.-]+$`)
)

// apiCode is the error code of an SDK error, "" for none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("%s: got error %q (%v), want %s", what, got, err, code)
	}
}

func (r *running) clients(cfg aws.Config) (*ctl.Client, *bedrockagentcore.Client) {
	return ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) }),
		bedrockagentcore.NewFromConfig(cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
}

// raw makes a signed POST of body to path and returns the status and body answered, to see
// what the SDK's types would hide (a secret in a body).
func (r *running) raw(t *testing.T, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := auth.Sign(req, r.srv.Credentials(), "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tokenServer is an OAuth2 authorization server of the client-credentials grant: client
// "cid" with secret "csecret", by Basic authentication or in the form; it answers a token
// naming the scope asked, and serves its discovery document.
func tokenServer(t *testing.T) (*httptest.Server, *int) {
	calls := new(int)
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":%q,"authorization_endpoint":%q,"token_endpoint_auth_methods_supported":["client_secret_post"]}`,
				ts.URL, ts.URL+"/token", ts.URL+"/authorize")
			return
		case "/token":
		default:
			http.NotFound(w, r)
			return
		}
		*calls++
		r.ParseForm()
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" || id != "cid" || secret != "csecret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client credentials"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-for-%s","token_type":"Bearer","expires_in":3600}`, strings.ReplaceAll(r.PostForm.Get("scope"), " ", "+"))
	}))
	t.Cleanup(ts.Close)
	return ts, calls
}

// TestIdentityConformance drives every AgentCore Identity operation of the local endpoint with
// the real aws-sdk-go-v2 clients: shapes, errors, pagination, secrets kept in Secrets Manager
// and never answered by the control plane, the client-credentials flow against a real OAuth2
// token endpoint, and what an agent's sandbox credentials may and may not call.
func TestIdentityConformance(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	ctx := context.Background()
	c, dp := r.clients(r.cfg)

	t.Run("workload identities", func(t *testing.T) {
		created, err := c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String("wl-0"),
			AllowedResourceOauth2ReturnUrls: []string{"https://app.example.com/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		if !workloadArnRE.MatchString(aws.ToString(created.WorkloadIdentityArn)) || aws.ToString(created.Name) != "wl-0" || len(created.AllowedResourceOauth2ReturnUrls) != 1 {
			t.Fatalf("CreateWorkloadIdentity: %+v", created)
		}
		_, err = c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String("wl-0")})
		wantCode(t, "a second identity of the same name", err, "ValidationException")
		_, err = c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String("a b")})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || len(ve.FieldList) != 1 || aws.ToString(ve.FieldList[0].Name) != "name" {
			t.Fatalf("a name outside the pattern: %v", err)
		}
		for i := 1; i < 5; i++ {
			if _, err := c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String(fmt.Sprintf("wl-%d", i))}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.GetWorkloadIdentity(ctx, &ctl.GetWorkloadIdentityInput{Name: aws.String("wl-0")})
		if err != nil || got.CreatedTime == nil || got.LastUpdatedTime == nil || time.Since(*got.CreatedTime) > time.Minute || got.AllowedResourceOauth2ReturnUrls[0] != "https://app.example.com/cb" {
			t.Fatalf("GetWorkloadIdentity: %+v %v", got, err)
		}
		upd, err := c.UpdateWorkloadIdentity(ctx, &ctl.UpdateWorkloadIdentityInput{Name: aws.String("wl-0"), AllowedResourceOauth2ReturnUrls: []string{"myapp://cb", "https://x.example/cb"}})
		if err != nil || len(upd.AllowedResourceOauth2ReturnUrls) != 2 {
			t.Fatalf("UpdateWorkloadIdentity: %+v %v", upd, err)
		}
		var names []string
		pages := 0
		p := ctl.NewListWorkloadIdentitiesPaginator(c, &ctl.ListWorkloadIdentitiesInput{MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, w := range out.WorkloadIdentities {
				names = append(names, aws.ToString(w.Name))
			}
		}
		if strings.Join(names, ",") != "wl-0,wl-1,wl-2,wl-3,wl-4" || pages != 3 {
			t.Fatalf("ListWorkloadIdentities by 2: %v in %d pages", names, pages)
		}
		_, err = c.ListWorkloadIdentities(ctx, &ctl.ListWorkloadIdentitiesInput{MaxResults: aws.Int32(21)})
		wantCode(t, "maxResults 21", err, "ValidationException")
		_, err = c.ListWorkloadIdentities(ctx, &ctl.ListWorkloadIdentitiesInput{NextToken: aws.String("%%%")})
		wantCode(t, "a nextToken not ours", err, "ValidationException")
		if _, err := c.DeleteWorkloadIdentity(ctx, &ctl.DeleteWorkloadIdentityInput{Name: aws.String("wl-4")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetWorkloadIdentity(ctx, &ctl.GetWorkloadIdentityInput{Name: aws.String("wl-4")})
		wantCode(t, "a deleted identity", err, "ResourceNotFoundException")
		_, err = c.DeleteWorkloadIdentity(ctx, &ctl.DeleteWorkloadIdentityInput{Name: aws.String("wl-4")})
		wantCode(t, "deleting it again", err, "ResourceNotFoundException")
	})

	sm := secretsmanager.NewFromConfig(r.cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(r.url) })
	t.Run("api key providers", func(t *testing.T) {
		created, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("github"), ApiKey: aws.String("ghp_secret1")})
		if err != nil {
			t.Fatal(err)
		}
		secretArn := aws.ToString(created.ApiKeySecretArn.SecretArn)
		if !secretArnRE.MatchString(secretArn) || !strings.Contains(secretArn, ":secret:bedrock-agentcore-identity!default/apikey/github-") || !apiKeyArnRE.MatchString(aws.ToString(created.CredentialProviderArn)) {
			t.Fatalf("CreateApiKeyCredentialProvider: secret %s, provider %s", secretArn, aws.ToString(created.CredentialProviderArn))
		}
		// The key is in Secrets Manager, as AWS keeps it.
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretArn)})
		if err != nil || aws.ToString(v.SecretString) != "ghp_secret1" {
			t.Fatalf("the provider's secret: %v %v", v, err)
		}
		_, err = c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("github"), ApiKey: aws.String("x")})
		wantCode(t, "a second provider of the same name", err, "ConflictException")
		_, err = c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("bad name"), ApiKey: aws.String("x")})
		wantCode(t, "a name outside the pattern", err, "ValidationException")
		got, err := c.GetApiKeyCredentialProvider(ctx, &ctl.GetApiKeyCredentialProviderInput{Name: aws.String("github")})
		if err != nil || aws.ToString(got.ApiKeySecretArn.SecretArn) != secretArn || got.CreatedTime == nil {
			t.Fatalf("GetApiKeyCredentialProvider: %+v %v", got, err)
		}
		for _, path := range []string{"/identities/GetApiKeyCredentialProvider", "/identities/ListApiKeyCredentialProviders"} {
			status, body := r.raw(t, path, `{"name":"github"}`)
			if status != 200 || strings.Contains(body, "ghp_secret") {
				t.Fatalf("%s answered the key or failed: %d %s", path, status, body)
			}
		}
		upd, err := c.UpdateApiKeyCredentialProvider(ctx, &ctl.UpdateApiKeyCredentialProviderInput{Name: aws.String("github"), ApiKey: aws.String("ghp_secret2")})
		if err != nil || aws.ToString(upd.ApiKeySecretArn.SecretArn) != secretArn || !upd.LastUpdatedTime.After(*got.CreatedTime) && !upd.LastUpdatedTime.Equal(*got.CreatedTime) {
			t.Fatalf("UpdateApiKeyCredentialProvider: %+v %v", upd, err)
		}
		_, err = c.UpdateApiKeyCredentialProvider(ctx, &ctl.UpdateApiKeyCredentialProviderInput{Name: aws.String("nope"), ApiKey: aws.String("x")})
		wantCode(t, "updating a provider that does not exist", err, "ResourceNotFoundException")
		for i := 0; i < 3; i++ {
			if _, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String(fmt.Sprintf("k%d", i)), ApiKey: aws.String("v")}); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		p := ctl.NewListApiKeyCredentialProvidersPaginator(c, &ctl.ListApiKeyCredentialProvidersInput{MaxResults: aws.Int32(3)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.CredentialProviders {
				names = append(names, aws.ToString(it.Name))
			}
		}
		if strings.Join(names, ",") != "github,k0,k1,k2" {
			t.Fatalf("ListApiKeyCredentialProviders: %v", names)
		}
		_, err = c.ListApiKeyCredentialProviders(ctx, &ctl.ListApiKeyCredentialProvidersInput{MaxResults: aws.Int32(101)})
		wantCode(t, "maxResults 101", err, "ValidationException")
		if _, err := c.DeleteApiKeyCredentialProvider(ctx, &ctl.DeleteApiKeyCredentialProviderInput{Name: aws.String("k2")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetApiKeyCredentialProvider(ctx, &ctl.GetApiKeyCredentialProviderInput{Name: aws.String("k2")})
		wantCode(t, "a deleted provider", err, "ResourceNotFoundException")
		_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bedrock-agentcore-identity!default/apikey/k2")})
		wantCode(t, "a deleted provider's secret", err, "ResourceNotFoundException")
	})

	ts, calls := tokenServer(t)
	t.Run("oauth2 providers", func(t *testing.T) {
		custom := func(name, secret string, d types.Oauth2Discovery, method types.ClientAuthenticationMethodType) *ctl.CreateOauth2CredentialProviderInput {
			return &ctl.CreateOauth2CredentialProviderInput{Name: aws.String(name), CredentialProviderVendor: types.CredentialProviderVendorTypeCustomOauth2,
				Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberCustomOauth2ProviderConfig{Value: types.CustomOauth2ProviderConfigInput{
					ClientId: aws.String("cid"), ClientSecret: aws.String(secret), OauthDiscovery: d, ClientAuthenticationMethod: method}}}
		}
		meta := &types.Oauth2DiscoveryMemberAuthorizationServerMetadata{Value: types.Oauth2AuthorizationServerMetadata{
			Issuer: aws.String(ts.URL), AuthorizationEndpoint: aws.String(ts.URL + "/authorize"), TokenEndpoint: aws.String(ts.URL + "/token")}}
		created, err := c.CreateOauth2CredentialProvider(ctx, custom("m2m", "csecret", meta, ""))
		if err != nil {
			t.Fatal(err)
		}
		if !oauth2ArnRE.MatchString(aws.ToString(created.CredentialProviderArn)) || !secretArnRE.MatchString(aws.ToString(created.ClientSecretArn.SecretArn)) || created.Status != types.StatusReady {
			t.Fatalf("CreateOauth2CredentialProvider: %+v", created)
		}
		_, err = c.CreateOauth2CredentialProvider(ctx, custom("m2m", "csecret", meta, ""))
		wantCode(t, "a second provider of the same name", err, "ConflictException")
		if _, err := c.CreateOauth2CredentialProvider(ctx, custom("discovered", "csecret", &types.Oauth2DiscoveryMemberDiscoveryUrl{Value: ts.URL + "/.well-known/openid-configuration"}, "")); err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateOauth2CredentialProvider(ctx, custom("badurl", "s", &types.Oauth2DiscoveryMemberDiscoveryUrl{Value: ts.URL + "/nowhere"}, ""))
		wantCode(t, "a discovery URL outside the pattern", err, "ValidationException")
		gh, err := c.CreateOauth2CredentialProvider(ctx, &ctl.CreateOauth2CredentialProviderInput{Name: aws.String("gh"), CredentialProviderVendor: types.CredentialProviderVendorTypeGithubOauth2,
			Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberGithubOauth2ProviderConfig{Value: types.GithubOauth2ProviderConfigInput{ClientId: aws.String("ghid"), ClientSecret: aws.String("ghsecret")}}})
		if err != nil {
			t.Fatal(err)
		}
		out, ok := gh.Oauth2ProviderConfigOutput.(*types.Oauth2ProviderConfigOutputMemberGithubOauth2ProviderConfig)
		md, ok2 := out.Value.OauthDiscovery.(*types.Oauth2DiscoveryMemberAuthorizationServerMetadata)
		if !ok || !ok2 || aws.ToString(md.Value.TokenEndpoint) != "https://github.com/login/oauth/access_token" || aws.ToString(out.Value.ClientId) != "ghid" {
			t.Fatalf("a GitHub provider's output config: %#v", gh.Oauth2ProviderConfigOutput)
		}
		_, err = c.CreateOauth2CredentialProvider(ctx, &ctl.CreateOauth2CredentialProviderInput{Name: aws.String("x"), CredentialProviderVendor: "NopeOauth2",
			Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberGithubOauth2ProviderConfig{Value: types.GithubOauth2ProviderConfigInput{ClientId: aws.String("a"), ClientSecret: aws.String("b")}}})
		wantCode(t, "a vendor outside the enum", err, "ValidationException")
		_, err = c.CreateOauth2CredentialProvider(ctx, &ctl.CreateOauth2CredentialProviderInput{Name: aws.String("x"), CredentialProviderVendor: types.CredentialProviderVendorTypeSlackOauth2,
			Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberGithubOauth2ProviderConfig{Value: types.GithubOauth2ProviderConfigInput{ClientId: aws.String("a"), ClientSecret: aws.String("b")}}})
		wantCode(t, "a vendor configured by another member", err, "ValidationException")

		got, err := c.GetOauth2CredentialProvider(ctx, &ctl.GetOauth2CredentialProviderInput{Name: aws.String("m2m")})
		if err != nil || got.CredentialProviderVendor != types.CredentialProviderVendorTypeCustomOauth2 || got.Status != types.StatusReady || got.CreatedTime == nil {
			t.Fatalf("GetOauth2CredentialProvider: %+v %v", got, err)
		}
		if status, body := r.raw(t, "/identities/GetOauth2CredentialProvider", `{"name":"m2m"}`); status != 200 || strings.Contains(body, "csecret") {
			t.Fatalf("GetOauth2CredentialProvider answered the client secret or failed: %d %s", status, body)
		}
		var names []string
		p := ctl.NewListOauth2CredentialProvidersPaginator(c, &ctl.ListOauth2CredentialProvidersInput{MaxResults: aws.Int32(1)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.CredentialProviders {
				names = append(names, aws.ToString(it.Name)+":"+string(it.CredentialProviderVendor))
			}
		}
		if strings.Join(names, ",") != "discovered:CustomOauth2,gh:GithubOauth2,m2m:CustomOauth2" {
			t.Fatalf("ListOauth2CredentialProviders: %v", names)
		}

		// The client-credentials flow, against the token endpoint, for a workload's token.
		if _, err := c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String("svc")}); err != nil {
			t.Fatal(err)
		}
		wat, err := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("svc")})
		if err != nil {
			t.Fatal(err)
		}
		m2m := func(provider string, flow dptypes.Oauth2FlowType) (*bedrockagentcore.GetResourceOauth2TokenOutput, error) {
			return dp.GetResourceOauth2Token(ctx, &bedrockagentcore.GetResourceOauth2TokenInput{WorkloadIdentityToken: wat.WorkloadAccessToken,
				ResourceCredentialProviderName: aws.String(provider), Scopes: []string{"read", "write"}, Oauth2Flow: flow})
		}
		tok, err := m2m("m2m", dptypes.Oauth2FlowTypeM2m)
		if err != nil || aws.ToString(tok.AccessToken) != "tok-for-read+write" {
			t.Fatalf("GetResourceOauth2Token M2M (Basic): %+v %v", tok, err)
		}
		tok, err = m2m("discovered", dptypes.Oauth2FlowTypeM2m) // client_secret_post, from the discovery document
		if err != nil || aws.ToString(tok.AccessToken) != "tok-for-read+write" {
			t.Fatalf("GetResourceOauth2Token M2M (discovered, form): %+v %v", tok, err)
		}
		before := *calls
		_, err = m2m("m2m", dptypes.Oauth2FlowTypeUserFederation)
		wantCode(t, "USER_FEDERATION", err, "ValidationException")
		if !strings.Contains(err.Error(), "USER_FEDERATION") || *calls != before {
			t.Fatalf("USER_FEDERATION must be refused with its reason, before any call: %v", err)
		}
		if _, err := c.UpdateOauth2CredentialProvider(ctx, &ctl.UpdateOauth2CredentialProviderInput{Name: aws.String("m2m"), CredentialProviderVendor: types.CredentialProviderVendorTypeCustomOauth2,
			Oauth2ProviderConfigInput: custom("m2m", "wrong", meta, types.ClientAuthenticationMethodTypeClientSecretPost).Oauth2ProviderConfigInput}); err != nil {
			t.Fatal(err)
		}
		_, err = m2m("m2m", dptypes.Oauth2FlowTypeM2m)
		wantCode(t, "a client secret the token endpoint refuses", err, "AccessDeniedException")
		if !strings.Contains(err.Error(), "invalid_client") {
			t.Fatalf("the refusal must say what the token endpoint said: %v", err)
		}
		_, err = m2m("nope", dptypes.Oauth2FlowTypeM2m)
		wantCode(t, "a provider that does not exist", err, "ResourceNotFoundException")
		if _, err := c.DeleteOauth2CredentialProvider(ctx, &ctl.DeleteOauth2CredentialProviderInput{Name: aws.String("gh")}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetOauth2CredentialProvider(ctx, &ctl.GetOauth2CredentialProviderInput{Name: aws.String("gh")})
		wantCode(t, "a deleted provider", err, "ResourceNotFoundException")
		_, err = dp.CompleteResourceTokenAuth(ctx, &bedrockagentcore.CompleteResourceTokenAuthInput{SessionUri: aws.String("urn:ietf:params:oauth:request_uri:abc"),
			UserIdentifier: &dptypes.UserIdentifierMemberUserId{Value: "u1"}})
		wantCode(t, "CompleteResourceTokenAuth of a session never started", err, "ResourceNotFoundException")
	})

	t.Run("token vault", func(t *testing.T) {
		v, err := c.GetTokenVault(ctx, &ctl.GetTokenVaultInput{})
		if err != nil || aws.ToString(v.TokenVaultId) != "default" || v.KmsConfiguration.KeyType != types.KeyTypeServiceManagedKey || v.LastModifiedDate == nil {
			t.Fatalf("GetTokenVault: %+v %v", v, err)
		}
		key := "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"
		set, err := c.SetTokenVaultCMK(ctx, &ctl.SetTokenVaultCMKInput{KmsConfiguration: &types.KmsConfiguration{KeyType: types.KeyTypeCustomerManagedKey, KmsKeyArn: aws.String(key)}})
		if err != nil || aws.ToString(set.KmsConfiguration.KmsKeyArn) != key {
			t.Fatalf("SetTokenVaultCMK: %+v %v", set, err)
		}
		v, err = c.GetTokenVault(ctx, &ctl.GetTokenVaultInput{TokenVaultId: aws.String("default")})
		if err != nil || v.KmsConfiguration.KeyType != types.KeyTypeCustomerManagedKey {
			t.Fatalf("GetTokenVault after SetTokenVaultCMK: %+v %v", v, err)
		}
		_, err = c.SetTokenVaultCMK(ctx, &ctl.SetTokenVaultCMKInput{KmsConfiguration: &types.KmsConfiguration{KeyType: types.KeyTypeCustomerManagedKey}})
		wantCode(t, "a customer key without its ARN", err, "ValidationException")
		_, err = c.SetTokenVaultCMK(ctx, &ctl.SetTokenVaultCMKInput{KmsConfiguration: &types.KmsConfiguration{KeyType: "Nope"}})
		wantCode(t, "a key type outside the enum", err, "ValidationException")
		_, err = c.GetTokenVault(ctx, &ctl.GetTokenVaultInput{TokenVaultId: aws.String("other")})
		wantCode(t, "another vault", err, "ResourceNotFoundException")
	})

	t.Run("workload access tokens", func(t *testing.T) {
		if _, err := c.CreateWorkloadIdentity(ctx, &ctl.CreateWorkloadIdentityInput{Name: aws.String("reader")}); err != nil {
			t.Fatal(err)
		}
		key := func(tok *string) (string, error) {
			out, err := dp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: tok, ResourceCredentialProviderName: aws.String("github")})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.ApiKey), nil
		}
		wat, err := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("reader")})
		if err != nil {
			t.Fatal(err)
		}
		if k, err := key(wat.WorkloadAccessToken); err != nil || k != "ghp_secret2" {
			t.Fatalf("GetResourceApiKey: %q %v", k, err)
		}
		forUser, err := dp.GetWorkloadAccessTokenForUserId(ctx, &bedrockagentcore.GetWorkloadAccessTokenForUserIdInput{WorkloadName: aws.String("reader"), UserId: aws.String("alice")})
		if err != nil || !strings.Contains(claimsOf(t, *forUser.WorkloadAccessToken), `"uid":"alice"`) {
			t.Fatalf("GetWorkloadAccessTokenForUserId: %v", err)
		}
		jwt := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"bob","iss":"https://idp.example","exp":`+fmt.Sprint(time.Now().Add(time.Hour).Unix())+`}`)) + ".c2ln"
		forJWT, err := dp.GetWorkloadAccessTokenForJWT(ctx, &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{WorkloadName: aws.String("reader"), UserToken: aws.String(jwt)})
		if err != nil || !strings.Contains(claimsOf(t, *forJWT.WorkloadAccessToken), `"sub":"bob"`) {
			t.Fatalf("GetWorkloadAccessTokenForJWT: %v", err)
		}
		if k, err := key(forJWT.WorkloadAccessToken); err != nil || k != "ghp_secret2" {
			t.Fatalf("GetResourceApiKey with a user's token: %q %v", k, err)
		}
		expired := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"bob","exp":1}`)) + ".c2ln"
		_, err = dp.GetWorkloadAccessTokenForJWT(ctx, &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{WorkloadName: aws.String("reader"), UserToken: aws.String(expired)})
		wantCode(t, "an expired user JWT", err, "UnauthorizedException")
		_, err = dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("nobody")})
		wantCode(t, "a workload that does not exist", err, "ResourceNotFoundException")
		_, err = key(aws.String("forged.token"))
		wantCode(t, "a token not ours", err, "UnauthorizedException")
		forged := *wat.WorkloadAccessToken
		forged = forged[:len(forged)-2] + "AA"
		_, err = key(&forged)
		wantCode(t, "a token with a bad MAC", err, "UnauthorizedException")
		_, err = dp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: wat.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("nope")})
		wantCode(t, "a provider that does not exist", err, "ResourceNotFoundException")
		if _, err := c.DeleteWorkloadIdentity(ctx, &ctl.DeleteWorkloadIdentityInput{Name: aws.String("reader")}); err != nil {
			t.Fatal(err)
		}
		_, err = key(wat.WorkloadAccessToken)
		wantCode(t, "the token of a deleted workload identity", err, "UnauthorizedException")
	})

	t.Run("agent credentials", func(t *testing.T) {
		// A runtime whose image is missing: it fails, but exists, with its workload identity.
		sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("agent-db"), SecretString: aws.String("pw")})
		if err != nil {
			t.Fatal(err)
		}
		envSecretArn := aws.ToString(sec.ARN)
		created, err := c.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("scoped"),
			EnvironmentVariables: map[string]string{"DB_SECRET": envSecretArn, "AGENTCORE_CREDENTIAL_GITHUB": "github"},
			AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/missing:v1")}},
			RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(created.AgentRuntimeId)
		if got := aws.ToString(created.WorkloadIdentityDetails.WorkloadIdentityArn); !strings.HasSuffix(got, "/workload-identity/scoped") {
			t.Fatalf("workloadIdentityDetails: %s", got)
		}
		wl, err := c.GetWorkloadIdentity(ctx, &ctl.GetWorkloadIdentityInput{Name: aws.String("scoped")})
		if err != nil || aws.ToString(wl.WorkloadIdentityArn) != aws.ToString(created.WorkloadIdentityDetails.WorkloadIdentityArn) {
			t.Fatalf("the runtime's workload identity: %+v %v", wl, err)
		}
		ac := r.srv.Credentials().Agent(id)
		agentCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ac.AccessKeyID, ac.SecretAccessKey, ac.SessionToken)}
		actl, adp := r.clients(agentCfg)

		wat, err := adp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("scoped")})
		if err != nil {
			t.Fatalf("an agent's own workload token: %v", err)
		}
		k, err := adp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: wat.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("github")})
		if err != nil || aws.ToString(k.ApiKey) != "ghp_secret2" {
			t.Fatalf("an agent's GetResourceApiKey: %v", err)
		}
		// a provider its environment does not name: refused, as the role would
		if _, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("unlisted"), ApiKey: aws.String("k-unlisted")}); err != nil {
			t.Fatal(err)
		}
		_, err = adp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: wat.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("unlisted")})
		wantCode(t, "an agent's GetResourceApiKey of a provider its environment does not name", err, "AccessDeniedException")
		if !strings.Contains(err.Error(), "AGENTCORE_CREDENTIAL_NAME") {
			t.Errorf("the refusal does not say which providers the agent may read: %v", err)
		}
		_, err = adp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("svc")})
		wantCode(t, "an agent acting for another workload", err, "AccessDeniedException")
		owners, _ := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("svc")})
		_, err = adp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: owners.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("github")})
		wantCode(t, "an agent presenting another workload's token", err, "AccessDeniedException")

		_, err = actl.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{})
		wantCode(t, "an agent calling the runtime control plane", err, "AccessDeniedException")
		if !strings.Contains(err.Error(), "agent runtime "+id) {
			t.Fatalf("the refusal must name the agent: %v", err)
		}
		_, err = actl.ListApiKeyCredentialProviders(ctx, &ctl.ListApiKeyCredentialProvidersInput{})
		wantCode(t, "an agent calling the Identity control plane", err, "AccessDeniedException")
		_, err = ssm.NewFromConfig(agentCfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(r.url) }).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
		wantCode(t, "an agent calling SSM", err, "AccessDeniedException")
		_, err = ecr.NewFromConfig(agentCfg, func(o *ecr.Options) { o.BaseEndpoint = aws.String(r.url) }).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
		wantCode(t, "an agent calling ECR", err, "AccessDeniedException")
		asm := secretsmanager.NewFromConfig(agentCfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(r.url) })
		for _, sid := range []string{envSecretArn, "agent-db"} {
			if v, err := asm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(sid)}); err != nil || aws.ToString(v.SecretString) != "pw" {
				t.Fatalf("an agent's GetSecretValue of %s, named by its environment: %v", sid, err)
			}
		}
		_, err = asm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bedrock-agentcore-identity!default/apikey/github")})
		wantCode(t, "an agent's GetSecretValue of a secret its environment does not name", err, "AccessDeniedException")
		_, err = asm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		wantCode(t, "an agent's ListSecrets", err, "AccessDeniedException")
		who, err := sts.NewFromConfig(agentCfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(r.url) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/AgentCoreLocalAgent/"+id {
			t.Fatalf("an agent's GetCallerIdentity: %+v %v", who, err)
		}
		// Another runtime's token with this one's key pair: refused.
		other := r.srv.Credentials().Agent("other-0123456789")
		mixed := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ac.AccessKeyID, ac.SecretAccessKey, other.SessionToken)}
		_, mdp := r.clients(mixed)
		_, err = mdp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("scoped")})
		wantCode(t, "a key pair with another runtime's session token", err, "UnrecognizedClientException")

		if _, err := c.DeleteAgentRuntime(ctx, &ctl.DeleteAgentRuntimeInput{AgentRuntimeId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
		_, err = adp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("scoped")})
		wantCode(t, "the credentials of a deleted runtime", err, "UnrecognizedClientException")
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err = c.GetWorkloadIdentity(ctx, &ctl.GetWorkloadIdentityInput{Name: aws.String("scoped")})
			if apiCode(err) == "ResourceNotFoundException" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the workload identity of a deleted runtime is still there: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("aws cli", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			t.Skip("no AWS CLI")
		}
		run := func(args ...string) string {
			t.Helper()
			cmd := exec.Command("aws", args...)
			cmd.Env = r.cliEnv()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return strings.TrimSpace(string(out))
		}
		run("bedrock-agentcore-control", "create-workload-identity", "--name", "cli-wl")
		run("bedrock-agentcore-control", "create-api-key-credential-provider", "--name", "cli-key", "--api-key", "cli-secret")
		if got := run("bedrock-agentcore-control", "get-api-key-credential-provider", "--name", "cli-key"); strings.Contains(got, "cli-secret") || !strings.Contains(got, "bedrock-agentcore-identity!default/apikey/cli-key") {
			t.Fatalf("get-api-key-credential-provider: %s", got)
		}
		if got := run("bedrock-agentcore-control", "list-workload-identities", "--query", "length(workloadIdentities[?name=='cli-wl'])", "--output", "text"); got != "1" {
			t.Fatalf("list-workload-identities: %s", got)
		}
		tok := run("bedrock-agentcore", "get-workload-access-token", "--workload-name", "cli-wl", "--query", "workloadAccessToken", "--output", "text")
		if got := run("bedrock-agentcore", "get-resource-api-key", "--workload-identity-token", tok, "--resource-credential-provider-name", "cli-key", "--query", "apiKey", "--output", "text"); got != "cli-secret" {
			t.Fatalf("get-resource-api-key: %s", got)
		}
		if got := run("bedrock-agentcore-control", "get-token-vault", "--query", "tokenVaultId", "--output", "text"); got != "default" {
			t.Fatalf("get-token-vault: %s", got)
		}
		run("bedrock-agentcore-control", "delete-api-key-credential-provider", "--name", "cli-key")
		run("bedrock-agentcore-control", "delete-workload-identity", "--name", "cli-wl")
	})

	t.Run("boto3", func(t *testing.T) {
		if exec.Command("python3", "-c", "import boto3").Run() != nil {
			t.Skip("no boto3")
		}
		script := `
import boto3, botocore, hashlib
s = boto3.session.Session()
c = s.client("bedrock-agentcore-control")
d = s.client("bedrock-agentcore")
c.create_workload_identity(name="boto-wl")
assert c.get_workload_identity(name="boto-wl")["workloadIdentityArn"].endswith("/workload-identity/boto-wl")
names = [w["name"] for p in c.get_paginator("list_workload_identities").paginate(PaginationConfig={"PageSize": 1}) for w in p["workloadIdentities"]]
assert "boto-wl" in names, names
p = c.create_api_key_credential_provider(name="boto-key", apiKey="k-123")
assert "apiKey" not in c.get_api_key_credential_provider(name="boto-key")
assert [x["name"] for x in c.list_api_key_credential_providers()["credentialProviders"]].count("boto-key") == 1
tok = d.get_workload_access_token(workloadName="boto-wl")["workloadAccessToken"]
key = d.get_resource_api_key(workloadIdentityToken=tok, resourceCredentialProviderName="boto-key")["apiKey"]
assert key == "k-123"
assert d.get_workload_access_token_for_user_id(workloadName="boto-wl", userId="u")["workloadAccessToken"]
assert c.get_token_vault()["kmsConfiguration"]["keyType"] in ("ServiceManagedKey", "CustomerManagedKey")
c.create_oauth2_credential_provider(name="boto-gh", credentialProviderVendor="GithubOauth2",
    oauth2ProviderConfigInput={"githubOauth2ProviderConfig": {"clientId": "a", "clientSecret": "b"}})
o = c.get_oauth2_credential_provider(name="boto-gh")
assert o["status"] == "READY" and o["clientSecretArn"]["secretArn"].startswith("arn:aws:secretsmanager:")
c.delete_oauth2_credential_provider(name="boto-gh")
c.delete_api_key_credential_provider(name="boto-key")
try:
    c.get_api_key_credential_provider(name="boto-key")
except c.exceptions.ResourceNotFoundException:
    pass
else:
    raise SystemExit("no ResourceNotFoundException")
try:
    c.create_workload_identity(name="bad name")
except c.exceptions.ValidationException as e:
    print(e.response["Error"]["Code"])
c.delete_workload_identity(name="boto-wl")
`
		cmd := exec.Command("python3", "-c", script)
		cmd.Env = r.cliEnv()
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ValidationException" {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
	})
}

// claimsOf decodes a workload access token's claims, to see whom it names.
func claimsOf(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) < 3 {
		t.Fatalf("token %q has no claims", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[len(parts)-2])
	if err != nil {
		t.Fatalf("token claims: %v", err)
	}
	return string(b)
}

// TestAgentIdentityEndToEnd runs a container agent (the test agent, a static Go binary with
// aws-sdk-go-v2 in a FROM-scratch image) that fetches its API key with the credentials and
// endpoint its sandbox was given: GetWorkloadAccessToken for its runtime's workload identity,
// then GetResourceApiKey; it answers the key's sha256, and how its control-plane call was
// refused.
func TestAgentIdentityEndToEnd(t *testing.T) {
	cli := dockerEngine(t)
	dir := t.TempDir()
	t.Cleanup(func() { Reset(context.Background(), dir) })
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	c, _ := r.clients(r.cfg)
	const apiKey = "sk-e2e-0123456789"
	if _, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("svc-key"), ApiKey: aws.String(apiKey)}); err != nil {
		t.Fatal(err)
	}
	id, arn, _ := containerAgent(t, r, cli, "ident-agent", "ident_agent", map[string]string{"AGENTCORE_CREDENTIAL_SVC": "svc-key"})

	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn),
		Payload: []byte(`{"identity":{"workload":"ident_agent","provider":"svc-key"}}`)})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	defer out.Response.Close()
	var ans struct {
		APIKeySha256 string `json:"apiKeySha256"`
		ControlPlane string `json:"controlPlane"`
		Error        string `json:"error"`
	}
	b, _ := io.ReadAll(out.Response)
	if err := json.Unmarshal(b, &ans); err != nil {
		t.Fatalf("agent answered %s: %v", b, err)
	}
	sum := sha256.Sum256([]byte(apiKey))
	if ans.Error != "" || ans.APIKeySha256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("the agent did not get its API key: %s", b)
	}
	if strings.Contains(string(b), apiKey) {
		t.Fatalf("the agent answered the key itself: %s", b)
	}
	if !strings.HasPrefix(ans.ControlPlane, "AccessDeniedException: ") || !strings.Contains(ans.ControlPlane, "agent runtime "+id) {
		t.Fatalf("the agent's control-plane call: %q, want an AccessDeniedException naming agent runtime %s", ans.ControlPlane, id)
	}

	// The agents' address serves no control plane, to the owner either.
	env := agentEnvOf(t, r, arn)
	endpoint := env["AWS_ENDPOINT_URL"]
	if endpoint == "" || strings.Contains(endpoint, "127.0.0.1") || env["AWS_SESSION_TOKEN"] == "" {
		t.Fatalf("the container's AWS environment: endpoint %q, session token set %v", endpoint, env["AWS_SESSION_TOKEN"] != "")
	}
	if !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], auth.AgentKeyPrefix) {
		t.Fatalf("AWS_ACCESS_KEY_ID %q is not an agent's", env["AWS_ACCESS_KEY_ID"])
	}
	owner := ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(endpoint) })
	_, err = owner.ListAgentRuntimes(ctx, &ctl.ListAgentRuntimesInput{})
	wantCode(t, "the owner's control-plane call on the agents' address", err, "AccessDeniedException")
}

// agentEnvOf is the environment the agent of arn runs with (the test agent echoes it).
func agentEnvOf(t *testing.T, r *running, arn string) map[string]string {
	t.Helper()
	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := dp.InvokeAgentRuntime(context.Background(), &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: aws.String(arn), Payload: []byte(`{}`)})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	defer out.Response.Close()
	var ans struct {
		Env map[string]string `json:"env"`
	}
	if err := json.NewDecoder(out.Response).Decode(&ans); err != nil {
		t.Fatal(err)
	}
	return ans.Env
}

// A code agent (Python, boto3 from the interpreter's site-packages) that fetches its API key
// with the credentials and loopback endpoint its sandbox was given.
var identityCodeAgent = map[string]string{"main.py": `import hashlib, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import boto3, botocore

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/ping":
            return self.reply({"status": "Healthy"})
        self.send_error(404)

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        out = {"endpoint": os.environ.get("AWS_ENDPOINT_URL", "")}
        try:
            d = boto3.client("bedrock-agentcore")
            tok = d.get_workload_access_token(workloadName=req["workload"])["workloadAccessToken"]
            key = d.get_resource_api_key(workloadIdentityToken=tok, resourceCredentialProviderName=req["provider"])["apiKey"]
            out["apiKeySha256"] = hashlib.sha256(key.encode()).hexdigest()
            try:
                boto3.client("bedrock-agentcore-control").list_agent_runtimes()
                out["controlPlane"] = "allowed"
            except botocore.exceptions.ClientError as e:
                out["controlPlane"] = e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
        except Exception as e:
            out["error"] = repr(e)
        self.reply(out)

    def reply(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
`}

// TestCodeAgentIdentity is TestAgentIdentityEndToEnd for a code runtime: a host process (in
// its network namespace when the machine allows it) reaches the endpoint's loopback port.
func TestCodeAgentIdentity(t *testing.T) {
	needDocker(t)
	if err := exec.Command("python3.11", "-c", "import boto3").Run(); err != nil {
		t.Skip("python3.11 with boto3 is not installed")
	}
	dir := t.TempDir()
	t.Cleanup(func() { stopSandboxes(dir) })
	r := start(t, dir)
	defer r.stop(t)
	ctx := context.Background()
	c, _ := r.clients(r.cfg)
	const apiKey = "sk-code-0123456789"
	if _, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("code-key"), ApiKey: aws.String(apiKey)}); err != nil {
		t.Fatal(err)
	}
	s3c := s3Client(r)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("ident-code")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("ident-code"), Key: aws.String("a.zip"), Body: bytes.NewReader(zipOf(t, identityCodeAgent))}); err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("ident_code"),
		AgentRuntimeArtifact: codeArtifact("ident-code", "a.zip", "PYTHON_3_11", "main.py"),
		EnvironmentVariables: map[string]string{"AGENTCORE_CREDENTIAL_CODE": "code-key"},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.AgentRuntimeId)
	waitReady(t, c, id)
	dp := bedrockagentcore.NewFromConfig(r.cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(r.url) })
	out, err := dp.InvokeAgentRuntime(ctx, &bedrockagentcore.InvokeAgentRuntimeInput{AgentRuntimeArn: created.AgentRuntimeArn,
		RuntimeSessionId: aws.String("ident-code-session-0123456789abcdefghij"), Payload: []byte(`{"workload":"ident_code","provider":"code-key"}`)})
	if err != nil {
		t.Fatalf("InvokeAgentRuntime: %v", err)
	}
	defer out.Response.Close()
	b, _ := io.ReadAll(out.Response)
	var ans struct {
		Endpoint     string `json:"endpoint"`
		APIKeySha256 string `json:"apiKeySha256"`
		ControlPlane string `json:"controlPlane"`
		Error        string `json:"error"`
	}
	json.Unmarshal(b, &ans)
	sum := sha256.Sum256([]byte(apiKey))
	if ans.Error != "" || ans.APIKeySha256 != hex.EncodeToString(sum[:]) || !strings.HasPrefix(ans.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("the code agent did not get its API key over loopback: %s", b)
	}
	if !strings.HasPrefix(ans.ControlPlane, "AccessDeniedException: ") || !strings.Contains(ans.ControlPlane, "agent runtime "+id) {
		t.Fatalf("the code agent's control-plane call: %q", ans.ControlPlane)
	}
	if _, err := c.DeleteAgentRuntime(ctx, &ctl.DeleteAgentRuntimeInput{AgentRuntimeId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkGetResourceApiKey measures an agent's way to its key through the real server and
// SDK: GetWorkloadAccessToken then GetResourceApiKey, signed with the owner's key pair and
// with an agent's (whose verification derives its secret and checks its scope and runtime).
func BenchmarkGetResourceApiKey(b *testing.B) {
	r := start(b, b.TempDir())
	defer r.stop(b)
	ctx := context.Background()
	c, _ := r.clients(r.cfg)
	if _, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("bench"), ApiKey: aws.String("k")}); err != nil {
		b.Fatal(err)
	}
	created, err := c.CreateAgentRuntime(ctx, &ctl.CreateAgentRuntimeInput{AgentRuntimeName: aws.String("bench"),
		EnvironmentVariables: map[string]string{"AGENTCORE_CREDENTIAL_BENCH": "bench"},
		AgentRuntimeArtifact: &types.AgentRuntimeArtifactMemberContainerConfiguration{Value: types.ContainerConfiguration{ContainerUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/missing:v1")}},
		RoleArn:              aws.String("arn:aws:iam::123456789012:role/R"), NetworkConfiguration: &types.NetworkConfiguration{NetworkMode: types.NetworkModePublic}})
	if err != nil {
		b.Fatal(err)
	}
	ac := r.srv.Credentials().Agent(aws.ToString(created.AgentRuntimeId))
	agent := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(ac.AccessKeyID, ac.SecretAccessKey, ac.SessionToken)}
	for _, who := range []struct {
		name string
		cfg  aws.Config
	}{{"owner", r.cfg}, {"agent", agent}} {
		_, dp := r.clients(who.cfg)
		b.Run(who.name, func(b *testing.B) {
			for b.Loop() {
				tok, err := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String("bench")})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := dp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{WorkloadIdentityToken: tok.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("bench")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
