package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// targetRec is one target as stored. Job names the tool-gathering run its status waits for
// (CREATING, UPDATING, SYNCHRONIZING): only that run may end it, so a run overtaken by a
// newer change writes nothing.
type targetRec struct {
	GatewayID          string          `json:"gatewayId"`
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Description        *string         `json:"description,omitempty"`
	Config             targetConfig    `json:"targetConfiguration"`
	Credentials        []credConfig    `json:"credentialProviderConfigurations,omitempty"`
	Metadata           json.RawMessage `json:"metadataConfiguration,omitempty"`
	Status             string          `json:"status"`
	StatusReasons      []string        `json:"statusReasons,omitempty"`
	GoneAt             time.Time       `json:"goneAt,omitzero"`
	CreatedAt          time.Time       `json:"createdAt"`
	UpdatedAt          time.Time       `json:"updatedAt"`
	LastSynchronizedAt time.Time       `json:"lastSynchronizedAt,omitzero"`
	Tools              []toolRec       `json:"tools,omitempty"`
	Job                string          `json:"job,omitempty"`
	CreateIdem         idempotency     `json:"createIdem,omitzero"`
}

type targetConfig struct {
	MCP  *mcpTargetConfig `json:"mcp,omitempty"`
	HTTP json.RawMessage  `json:"http,omitempty"`
}

type mcpTargetConfig struct {
	OpenAPISchema *schemaConfig    `json:"openApiSchema,omitempty"`
	SmithyModel   *schemaConfig    `json:"smithyModel,omitempty"`
	Lambda        *lambdaConfig    `json:"lambda,omitempty"`
	MCPServer     *mcpServerConfig `json:"mcpServer,omitempty"`
	APIGateway    json.RawMessage  `json:"apiGateway,omitempty"`
}

type schemaConfig struct {
	S3            *s3Config `json:"s3,omitempty"`
	InlinePayload *string   `json:"inlinePayload,omitempty"`
}

type s3Config struct {
	URI                  *string `json:"uri,omitempty"`
	BucketOwnerAccountID *string `json:"bucketOwnerAccountId,omitempty"`
}

type lambdaConfig struct {
	LambdaArn  *string `json:"lambdaArn"`
	ToolSchema *struct {
		S3            *s3Config         `json:"s3,omitempty"`
		InlinePayload []json.RawMessage `json:"inlinePayload,omitempty"`
	} `json:"toolSchema"`
}

type mcpServerConfig struct {
	Endpoint         *string       `json:"endpoint"`
	MCPToolSchema    *schemaConfig `json:"mcpToolSchema,omitempty"`
	ListingMode      *string       `json:"listingMode,omitempty"`
	ResourcePriority *int          `json:"resourcePriority,omitempty"`
}

type credConfig struct {
	Type     *string `json:"credentialProviderType"`
	Provider *struct {
		OAuth  *oauthProvider  `json:"oauthCredentialProvider,omitempty"`
		APIKey *apiKeyProvider `json:"apiKeyCredentialProvider,omitempty"`
		IAM    *struct {
			Service *string `json:"service"`
			Region  *string `json:"region,omitempty"`
		} `json:"iamCredentialProvider,omitempty"`
	} `json:"credentialProvider,omitempty"`
}

type oauthProvider struct {
	ProviderArn      *string           `json:"providerArn"`
	Scopes           []string          `json:"scopes"`
	CustomParameters map[string]string `json:"customParameters,omitempty"`
	GrantType        *string           `json:"grantType,omitempty"`
	DefaultReturnURL *string           `json:"defaultReturnUrl,omitempty"`
}

type apiKeyProvider struct {
	ProviderArn   *string `json:"providerArn"`
	ParameterName *string `json:"credentialParameterName,omitempty"`
	Prefix        *string `json:"credentialPrefix,omitempty"`
	Location      *string `json:"credentialLocation,omitempty"`
}

// Target kinds, from the member of McpTargetConfiguration set.
const (
	kindMCPServer = "mcpServer"
	kindOpenAPI   = "openApiSchema"
	kindLambda    = "lambda"
)

func (t *targetRec) kind() string {
	m := t.Config.MCP
	switch {
	case m == nil:
		return ""
	case m.MCPServer != nil:
		return kindMCPServer
	case m.OpenAPISchema != nil:
		return kindOpenAPI
	case m.Lambda != nil:
		return kindLambda
	}
	return ""
}

// view returns the target as it stands at now; ok is false once its deletion has finished.
func (t *targetRec) view(now time.Time) (targetRec, bool) {
	if t.Status == statusDeleting && !now.Before(t.GoneAt) {
		return *t, false
	}
	return *t, true
}

func (s *Service) targetOut(gatewayArn string, t *targetRec) map[string]any {
	creds := t.Credentials
	if creds == nil {
		creds = []credConfig{}
	}
	reasons := t.StatusReasons
	if reasons == nil {
		reasons = []string{}
	}
	o := map[string]any{
		"gatewayArn": gatewayArn, "targetId": t.ID, "name": t.Name, "createdAt": ts(t.CreatedAt), "updatedAt": ts(t.UpdatedAt),
		"status": t.Status, "statusReasons": reasons, "targetConfiguration": t.Config, "credentialProviderConfigurations": creds,
		"protocolType": protocolMCP,
	}
	if t.Description != nil {
		o["description"] = *t.Description
	}
	if len(t.Metadata) > 0 {
		o["metadataConfiguration"] = t.Metadata
	}
	if !t.LastSynchronizedAt.IsZero() {
		o["lastSynchronizedAt"] = ts(t.LastSynchronizedAt)
	}
	return o
}

// ---- input ----

type targetInput struct {
	ClientToken     *string         `json:"clientToken,omitempty"`
	Name            *string         `json:"name"`
	Description     *string         `json:"description,omitempty"`
	Config          *targetConfig   `json:"targetConfiguration"`
	Credentials     []credConfig    `json:"credentialProviderConfigurations,omitempty"`
	Metadata        json.RawMessage `json:"metadataConfiguration,omitempty"`
	PrivateEndpoint json.RawMessage `json:"privateEndpoint,omitempty"`
	Gateway         string          `json:"gatewayIdentifier,omitempty"` // from the path, part of the idempotency hash
}

// check validates a Create/UpdateGatewayTargetRequest against the model and against what the
// local endpoint can run, which it says with what to do instead.
func (s *Service) checkTarget(in *targetInput) error {
	c := &check{}
	c.required("name", in.Name != nil)
	if in.Name != nil {
		c.secret("name", *in.Name, 1, 0, gatewayNamePattern)
	}
	c.secretOpt("description", in.Description, 1, 200)
	c.optStr("clientToken", in.ClientToken, 33, 256, clientTokenPattern)
	c.required("targetConfiguration", in.Config != nil)
	if in.Credentials != nil {
		c.count("credentialProviderConfigurations", len(in.Credentials), 1, 1)
	}
	if err := c.err(); err != nil {
		return err
	}
	if len(in.PrivateEndpoint) > 0 && string(in.PrivateEndpoint) != "null" {
		return validationf("privateEndpoint: the local endpoint reaches targets directly; leave privateEndpoint out here")
	}
	if len(in.Config.HTTP) > 0 && string(in.Config.HTTP) != "null" {
		if in.Config.MCP != nil {
			return validationf("targetConfiguration must set exactly one of mcp, http")
		}
		return validationf("targetConfiguration.http (an AgentCore Runtime HTTP target) is not served by the local endpoint; point an mcp.mcpServer target at the runtime's MCP URL (%s/runtimes/{escaped runtime ARN}/invocations?qualifier=DEFAULT) instead", strings.TrimSuffix(s.cfg.URL(), "/"))
	}
	m := in.Config.MCP
	if m == nil {
		return fieldInvalid("targetConfiguration", "{}", "targetConfiguration must set exactly one of mcp, http")
	}
	n := 0
	for _, set := range []bool{m.OpenAPISchema != nil, m.SmithyModel != nil, m.Lambda != nil, m.MCPServer != nil, len(m.APIGateway) > 0 && string(m.APIGateway) != "null"} {
		if set {
			n++
		}
	}
	if n != 1 {
		return validationf("targetConfiguration.mcp must set exactly one of openApiSchema, smithyModel, lambda, mcpServer, apiGateway")
	}
	var cred *credConfig
	if len(in.Credentials) == 1 {
		cred = &in.Credentials[0]
		if err := s.checkCredential("credentialProviderConfigurations.0", cred); err != nil {
			return err
		}
	}
	credType := ""
	if cred != nil {
		credType = *cred.Type
	}
	switch {
	case m.SmithyModel != nil:
		return validationf("targetConfiguration.mcp.smithyModel: Smithy targets call AWS services, which the local endpoint does not serve; test them against AWS, or describe the API as OpenAPI (openApiSchema) with a server URL the endpoint can reach")
	case m.APIGateway != nil:
		return validationf("targetConfiguration.mcp.apiGateway: API Gateway targets need Amazon API Gateway, which the local endpoint does not serve; export the stage's OpenAPI definition and use an openApiSchema target here")
	case m.Lambda != nil:
		f := "targetConfiguration.mcp.lambda"
		c.required(f+".lambdaArn", m.Lambda.LambdaArn != nil)
		c.optStr(f+".lambdaArn", m.Lambda.LambdaArn, 1, 170, lambdaArnPattern)
		c.required(f+".toolSchema", m.Lambda.ToolSchema != nil)
		if err := c.err(); err != nil {
			return err
		}
		ts := m.Lambda.ToolSchema
		if (ts.S3 != nil) == (ts.InlinePayload != nil) {
			return validationf("%s.toolSchema must set exactly one of s3, inlinePayload", f)
		}
		if ts.S3 != nil {
			if err := s.checkS3(f+".toolSchema.s3", ts.S3); err != nil {
				return err
			}
		}
		if _, ok := s.cfg.LambdaURLs[*m.Lambda.LambdaArn]; !ok {
			return validationf("%s: Lambda functions do not run on the local endpoint, so it cannot call %s. Map the function to a local URL that stands for it: start the endpoint with AGENTCORE_LOCAL_LAMBDA_URLS='%s=http://127.0.0.1:PORT/' (comma-separated ARN=URL pairs; the URL gets the tool's arguments as a JSON POST, the tool's name in X-Amzn-Bedrock-AgentCore-Tool-Name), or test Lambda targets against AWS", f, *m.Lambda.LambdaArn, *m.Lambda.LambdaArn)
		}
		if credType != "" && credType != "GATEWAY_IAM_ROLE" {
			return validationf("credentialProviderConfigurations: a Lambda target takes GATEWAY_IAM_ROLE, not %s", credType)
		}
	case m.OpenAPISchema != nil:
		f := "targetConfiguration.mcp.openApiSchema"
		if err := s.checkSchema(f, m.OpenAPISchema); err != nil {
			return err
		}
		if credType != "API_KEY" && credType != "OAUTH" {
			return validationf("credentialProviderConfigurations: an OpenAPI target needs exactly one credential provider of type API_KEY or OAUTH (AgentCore calls the API with it), got %q", credType)
		}
	case m.MCPServer != nil:
		f := "targetConfiguration.mcp.mcpServer"
		c.required(f+".endpoint", m.MCPServer.Endpoint != nil)
		c.enum(f+".listingMode", m.MCPServer.ListingMode, "DEFAULT", "DYNAMIC")
		c.intRange(f+".resourcePriority", m.MCPServer.ResourcePriority, 0, 1000)
		if err := c.err(); err != nil {
			return err
		}
		if err := s.checkEndpoint(f+".endpoint", *m.MCPServer.Endpoint); err != nil {
			return err
		}
		if m.MCPServer.MCPToolSchema != nil {
			if err := s.checkSchema(f+".mcpToolSchema", m.MCPServer.MCPToolSchema); err != nil {
				return err
			}
		}
		switch credType {
		case "", "OAUTH", "GATEWAY_IAM_ROLE":
		default:
			return validationf("credentialProviderConfigurations: an MCP server target takes no credential provider, OAUTH or GATEWAY_IAM_ROLE, not %s", credType)
		}
	}
	return nil
}

// checkEndpoint checks an MCP server URL: https as the model wants, or http to this machine's
// loopback (a local MCP server, or an agent runtime on this endpoint).
func (s *Service) checkEndpoint(field, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fieldInvalid(field, endpoint, "Member must satisfy regular expression pattern: https://.*")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return validationf("%s: %q must be an https:// URL (the model's pattern https://.*); the local endpoint also accepts http:// to 127.0.0.1, localhost or [::1]", field, endpoint)
	}
	return nil
}

// checkNotItself refuses an MCP server target at its own gateway's URL, whose tools would be
// its own.
func (s *Service) checkNotItself(gatewayID string, in *targetInput) error {
	m := in.Config.MCP
	if m == nil || m.MCPServer == nil {
		return nil
	}
	u, err := url.Parse(*m.MCPServer.Endpoint)
	if err == nil && s.isSelf(u) && strings.TrimSuffix(u.Path, "/") == "/gateways/"+gatewayID+"/mcp" {
		return validationf("targetConfiguration.mcp.mcpServer.endpoint %s is this gateway's own URL: a gateway cannot be its own target", *m.MCPServer.Endpoint)
	}
	return nil
}

func isLoopback(host string) bool {
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

func (s *Service) checkSchema(field string, sc *schemaConfig) error {
	if (sc.S3 != nil) == (sc.InlinePayload != nil) {
		return validationf("%s must set exactly one of s3, inlinePayload", field)
	}
	if sc.S3 != nil {
		return s.checkS3(field+".s3", sc.S3)
	}
	if len(*sc.InlinePayload) == 0 {
		return fieldInvalid(field+".inlinePayload", "***", "Member must have length greater than or equal to 1")
	}
	return nil
}

func (s *Service) checkS3(field string, c3 *s3Config) error {
	c := &check{}
	c.required(field+".uri", c3.URI != nil)
	c.optStr(field+".uri", c3.URI, 1, 2048, s3URIPattern)
	c.optStr(field+".bucketOwnerAccountId", c3.BucketOwnerAccountID, 12, 12, accountPattern)
	if err := c.err(); err != nil {
		return err
	}
	if c3.BucketOwnerAccountID != nil && *c3.BucketOwnerAccountID != s.cfg.Account {
		return validationf("%s.bucketOwnerAccountId %s: the local S3 holds account %s's buckets only", field, *c3.BucketOwnerAccountID, s.cfg.Account)
	}
	if s.cfg.S3 == nil {
		return validationf("%s: this endpoint has no S3 to read %s from; give the schema inline (inlinePayload)", field, *c3.URI)
	}
	return nil
}

// checkCredential checks one CredentialProviderConfiguration, and that its provider exists
// in the local Identity (so a typo fails here, not at the first tool call).
func (s *Service) checkCredential(field string, cc *credConfig) error {
	c := &check{}
	c.required(field+".credentialProviderType", cc.Type != nil)
	c.enum(field+".credentialProviderType", cc.Type, "GATEWAY_IAM_ROLE", "OAUTH", "API_KEY", "CALLER_IAM_CREDENTIALS", "JWT_PASSTHROUGH")
	if err := c.err(); err != nil {
		return err
	}
	p := cc.Provider
	switch *cc.Type {
	case "API_KEY":
		if p == nil || p.APIKey == nil {
			return fieldMissing(field + ".credentialProvider.apiKeyCredentialProvider")
		}
		k := p.APIKey
		f := field + ".credentialProvider.apiKeyCredentialProvider"
		c.required(f+".providerArn", k.ProviderArn != nil)
		c.optStr(f+".providerArn", k.ProviderArn, 1, 0, providerArnPattern)
		c.optStr(f+".credentialParameterName", k.ParameterName, 1, 64, nil)
		c.optStr(f+".credentialPrefix", k.Prefix, 1, 64, nil)
		c.enum(f+".credentialLocation", k.Location, "HEADER", "QUERY_PARAMETER")
		if err := c.err(); err != nil {
			return err
		}
		if s.cfg.Identity == nil {
			return validationf("%s: this endpoint has no AgentCore Identity to read API keys from", f)
		}
		if _, err := s.cfg.Identity.APIKey(*k.ProviderArn); err != nil {
			return validationf("%s.providerArn: %v (create it with CreateApiKeyCredentialProvider on this endpoint first)", f, err)
		}
	case "OAUTH":
		if p == nil || p.OAuth == nil {
			return fieldMissing(field + ".credentialProvider.oauthCredentialProvider")
		}
		o := p.OAuth
		f := field + ".credentialProvider.oauthCredentialProvider"
		c.required(f+".providerArn", o.ProviderArn != nil)
		c.optStr(f+".providerArn", o.ProviderArn, 1, 0, providerArnPattern)
		c.required(f+".scopes", o.Scopes != nil)
		c.count(f+".scopes", len(o.Scopes), 0, 100)
		for _, sc := range o.Scopes {
			c.str(f+".scopes.member", sc, 1, 64, nil)
		}
		c.enum(f+".grantType", o.GrantType, "CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "TOKEN_EXCHANGE")
		if err := c.err(); err != nil {
			return err
		}
		if o.GrantType != nil && *o.GrantType != "CLIENT_CREDENTIALS" {
			return validationf("%s.grantType %s is not served by the local endpoint (it needs a user's consent in a browser); use CLIENT_CREDENTIALS here", f, *o.GrantType)
		}
		if s.cfg.Identity == nil {
			return validationf("%s: this endpoint has no AgentCore Identity to get OAuth2 tokens from", f)
		}
	case "GATEWAY_IAM_ROLE":
		if p != nil && p.IAM != nil {
			f := field + ".credentialProvider.iamCredentialProvider"
			c.required(f+".service", p.IAM.Service != nil)
			c.optStr(f+".service", p.IAM.Service, 1, 64, iamServicePattern)
			return c.err()
		}
	default:
		return validationf("%s.credentialProviderType %s is not served by the local endpoint; use API_KEY, OAUTH or GATEWAY_IAM_ROLE", field, *cc.Type)
	}
	return nil
}

// ---- operations ----

func (s *Service) createTarget(r *http.Request, in *targetInput) (reply, error) {
	gwID := r.PathValue("gatewayIdentifier")
	if err := s.checkTarget(in); err != nil {
		return reply{}, err
	}
	if err := s.checkNotItself(gwID, in); err != nil {
		return reply{}, err
	}
	in.Gateway = gwID
	idem := newIdempotency(in.ClientToken, in)
	now := s.cfg.Now().UTC()
	var out targetRec
	var arn string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		g, err := s.gateway(tx, gwID, false)
		if err != nil {
			return err
		}
		arn = g.Arn
		err = forTargets(tx, gwID, func(t *targetRec) error {
			view, live := t.view(now)
			if ok, err := t.CreateIdem.retries(idem, "CreateGatewayTarget"); err != nil || ok {
				if err == nil {
					out = view
					err = errRetried
				}
				return err
			}
			if live && t.Name == *in.Name {
				return conflictf("Gateway %s already has a target named %s (%s)", gwID, t.Name, t.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		t := targetRec{
			GatewayID: gwID, ID: randomAlnum(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), Name: *in.Name, Description: in.Description,
			Config: *in.Config, Credentials: in.Credentials, Metadata: in.Metadata, Status: statusCreating,
			CreatedAt: now, UpdatedAt: now, Job: newJobID(), CreateIdem: idem,
		}
		out = t
		return putJSON(tx.Bucket(bucketTargets), targetKey(gwID, t.ID), &t)
	})
	if err == errRetried {
		return reply{http.StatusAccepted, s.targetOut(arn, &out)}, nil
	}
	if err != nil {
		return reply{}, err
	}
	s.startJob(&out)
	return reply{http.StatusAccepted, s.targetOut(arn, &out)}, nil
}

// busy refuses a change to a target whose job has not ended.
func (t *targetRec) busy() error {
	switch t.Status {
	case statusCreating, statusUpdating, statusSyncing:
		return conflictf("Target %s is %s; retry when it is READY", t.ID, t.Status)
	}
	return nil
}

// newJobID names a target's job (targetRec.Job).
func newJobID() string { return randomAlnum(12, "abcdefghijklmnopqrstuvwxyz0123456789") }

func targetKey(gatewayID, targetID string) []byte { return []byte(gatewayID + "\x00" + targetID) }

// forTargets calls fn with every stored target of a gateway.
func forTargets(tx *bolt.Tx, gatewayID string, fn func(*targetRec) error) error {
	c := tx.Bucket(bucketTargets).Cursor()
	prefix := []byte(gatewayID + "\x00")
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var t targetRec
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	return nil
}

// target loads a target of a live gateway as it stands now.
func (s *Service) target(tx *bolt.Tx, gatewayID, targetID string, deleting bool) (*gatewayRec, *targetRec, error) {
	g, err := s.gateway(tx, gatewayID, false)
	if err != nil {
		return nil, nil, err
	}
	if !targetIDPattern.MatchString(targetID) {
		return nil, nil, fieldInvalid("targetId", targetID, "Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}")
	}
	var t targetRec
	ok, err := getJSON(tx.Bucket(bucketTargets), targetKey(gatewayID, targetID), &t)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		if v, live := t.view(s.cfg.Now()); live && (deleting || v.Status != statusDeleting) {
			return g, &v, nil
		}
	}
	return nil, nil, notFoundf("Target %s not found in gateway %s", targetID, gatewayID)
}

func (s *Service) getTarget(r *http.Request, _ *none) (reply, error) {
	var g *gatewayRec
	var t *targetRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		g, t, err = s.target(tx, r.PathValue("gatewayIdentifier"), r.PathValue("targetId"), true)
		return err
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusOK, s.targetOut(g.Arn, t)}, nil
}

func (s *Service) listTargets(r *http.Request, _ *none) (reply, error) {
	limit, after, err := listInput(r)
	if err != nil {
		return reply{}, err
	}
	gwID := r.PathValue("gatewayIdentifier")
	now := s.cfg.Now()
	items, next := []any{}, ""
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		if _, err := s.gateway(tx, gwID, true); err != nil {
			return err
		}
		last := ""
		return forTargets(tx, gwID, func(t *targetRec) error {
			if next != "" || (after != "" && t.ID <= after) {
				return nil
			}
			view, live := t.view(now)
			if !live {
				return nil
			}
			if len(items) == limit {
				next = awsproto.PageToken(last)
				return nil
			}
			o := map[string]any{"targetId": view.ID, "name": view.Name, "status": view.Status, "createdAt": ts(view.CreatedAt), "updatedAt": ts(view.UpdatedAt)}
			if view.Description != nil {
				o["description"] = *view.Description
			}
			if m := view.Config.MCP; m != nil && m.MCPServer != nil && m.MCPServer.ResourcePriority != nil {
				o["resourcePriority"] = *m.MCPServer.ResourcePriority
			}
			items, last = append(items, o), view.ID
			return nil
		})
	})
	return listReply(items, next, err)
}

func (s *Service) updateTarget(r *http.Request, in *targetInput) (reply, error) {
	if in.ClientToken != nil {
		return reply{}, validationf("UpdateGatewayTarget takes no clientToken")
	}
	gwID, tID := r.PathValue("gatewayIdentifier"), r.PathValue("targetId")
	if err := s.checkTarget(in); err != nil {
		return reply{}, err
	}
	if err := s.checkNotItself(gwID, in); err != nil {
		return reply{}, err
	}
	now := s.cfg.Now().UTC()
	var out targetRec
	var arn string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		g, t, err := s.target(tx, gwID, tID, false)
		if err != nil {
			return err
		}
		arn = g.Arn
		if err := t.busy(); err != nil {
			return err
		}
		if *in.Name != t.Name {
			err := forTargets(tx, gwID, func(o *targetRec) error {
				if _, live := o.view(now); live && o.Name == *in.Name && o.ID != tID {
					return conflictf("Gateway %s already has a target named %s (%s)", gwID, o.Name, o.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		t.Name, t.Description, t.Config, t.Credentials, t.Metadata = *in.Name, in.Description, *in.Config, in.Credentials, in.Metadata
		t.Status, t.StatusReasons, t.UpdatedAt = statusUpdating, nil, now
		t.Job = newJobID()
		out = *t
		return putJSON(tx.Bucket(bucketTargets), targetKey(gwID, tID), t)
	})
	if err != nil {
		return reply{}, err
	}
	s.dropClient(tID)
	s.changed(gwID)
	s.startJob(&out)
	return reply{http.StatusAccepted, s.targetOut(arn, &out)}, nil
}

func (s *Service) deleteTarget(r *http.Request, _ *none) (reply, error) {
	gwID, tID := r.PathValue("gatewayIdentifier"), r.PathValue("targetId")
	now := s.cfg.Now().UTC()
	var out targetRec
	var arn string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		g, t, err := s.target(tx, gwID, tID, true)
		if err != nil {
			return err
		}
		arn = g.Arn
		if t.Status != statusDeleting {
			t.Status, t.GoneAt, t.UpdatedAt, t.Job, t.Tools = statusDeleting, now.Add(s.cfg.Transition), now, "", nil
			if err := putJSON(tx.Bucket(bucketTargets), targetKey(gwID, tID), t); err != nil {
				return err
			}
		}
		out = *t
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	s.dropClient(tID)
	s.changed(gwID)
	return reply{http.StatusAccepted, map[string]any{"gatewayArn": arn, "targetId": out.ID, "status": out.Status, "statusReasons": []string{}}}, nil
}

type syncInput struct {
	TargetIDList []string `json:"targetIdList"`
}

func (s *Service) synchronizeTargets(r *http.Request, in *syncInput) (reply, error) {
	c := &check{}
	c.required("targetIdList", in.TargetIDList != nil)
	c.count("targetIdList", len(in.TargetIDList), 1, 1)
	for _, id := range in.TargetIDList {
		c.str("targetIdList.member", id, 10, 10, targetIDPattern)
	}
	if err := c.err(); err != nil {
		return reply{}, err
	}
	gwID := r.PathValue("gatewayIdentifier")
	now := s.cfg.Now().UTC()
	var outs []targetRec
	var arn string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, tID := range in.TargetIDList {
			g, t, err := s.target(tx, gwID, tID, false)
			if err != nil {
				return err
			}
			arn = g.Arn
			if err := t.busy(); err != nil {
				return err
			}
			t.Status, t.StatusReasons, t.UpdatedAt = statusSyncing, nil, now
			t.Job = newJobID()
			if err := putJSON(tx.Bucket(bucketTargets), targetKey(gwID, tID), t); err != nil {
				return err
			}
			outs = append(outs, *t)
		}
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	items := []any{}
	for i := range outs {
		s.dropClient(outs[i].ID)
		s.startJob(&outs[i])
		items = append(items, s.targetOut(arn, &outs[i]))
	}
	return reply{http.StatusAccepted, map[string]any{"targets": items}}, nil
}

// ---- jobs ----

// resumeJobs starts the job of every target a previous run left waiting for one.
func (s *Service) resumeJobs() {
	var pending []targetRec
	s.cfg.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTargets).ForEach(func(_, v []byte) error {
			var t targetRec
			if json.Unmarshal(v, &t) == nil && t.Job != "" {
				pending = append(pending, t)
			}
			return nil
		})
	})
	for i := range pending {
		s.startJob(&pending[i])
	}
}

// startJob gathers t's tools in the background and ends its status with them.
func (s *Service) startJob(t *targetRec) {
	s.jobs.Add(1)
	go func() {
		defer s.jobs.Done()
		tools, err := s.discover(s.ctx, t)
		if s.ctx.Err() != nil {
			return // cut short by Close: the next New runs it again
		}
		s.endJob(t, tools, err)
	}()
}

// endJob writes a job's outcome, unless a newer change took the target over meanwhile.
func (s *Service) endJob(job *targetRec, tools []toolRec, jobErr error) {
	now := s.cfg.Now().UTC()
	s.cfg.DB.Update(func(tx *bolt.Tx) error {
		var t targetRec
		ok, err := getJSON(tx.Bucket(bucketTargets), targetKey(job.GatewayID, job.ID), &t)
		if err != nil || !ok || t.Job != job.Job {
			return err
		}
		t.Job, t.UpdatedAt = "", now
		if jobErr != nil {
			t.StatusReasons = []string{truncate(jobErr.Error(), 2048)}
			switch t.Status {
			case statusCreating:
				t.Status, t.Tools = statusFailed, nil
			case statusUpdating:
				t.Status = statusUpdateFailed
			case statusSyncing:
				t.Status = statusSyncFailed
			}
		} else {
			t.Status, t.StatusReasons, t.Tools, t.LastSynchronizedAt = statusReady, nil, tools, now
		}
		return putJSON(tx.Bucket(bucketTargets), targetKey(t.GatewayID, t.ID), &t)
	})
	s.changed(job.GatewayID)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
