package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentcore/agentcore/local/auth"
)

var (
	gatewayIDRe  = regexp.MustCompile(`^([0-9a-z][-]?){1,100}-[0-9a-z]{10}$`)
	gatewayArnRe = regexp.MustCompile(`^arn:aws(|-cn|-us-gov):bedrock-agentcore:[a-z0-9-]{1,20}:[0-9]{12}:gateway/([0-9a-z][-]?){1,48}-[a-z0-9]{10}$`)
	targetIDRe   = regexp.MustCompile(`^[0-9a-zA-Z]{10}$`)
)

const testRole = "arn:aws:iam::123456789012:role/gateway"

func gatewayClient(r *running) *ctl.Client {
	return ctl.NewFromConfig(r.cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(r.url) })
}

// waitGateway polls GetGateway until the gateway leaves CREATING/UPDATING.
func waitGateway(t testing.TB, c *ctl.Client, id string) *ctl.GetGatewayOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := c.GetGateway(context.Background(), &ctl.GetGatewayInput{GatewayIdentifier: aws.String(id)})
		if err != nil {
			t.Fatalf("GetGateway %s: %v", id, err)
		}
		if g.Status != types.GatewayStatusCreating && g.Status != types.GatewayStatusUpdating {
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway %s still %s", id, g.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitTarget polls GetGatewayTarget until the target's job has ended.
func waitTarget(t testing.TB, c *ctl.Client, gw, id string) *ctl.GetGatewayTargetOutput {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		g, err := c.GetGatewayTarget(context.Background(), &ctl.GetGatewayTargetInput{GatewayIdentifier: aws.String(gw), TargetId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetGatewayTarget %s: %v", id, err)
		}
		switch g.Status {
		case types.TargetStatusCreating, types.TargetStatusUpdating, types.TargetStatusSynchronizing:
		default:
			return g
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %s still %s", id, g.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGatewayControlPlane(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := gatewayClient(r)
	ctx := context.Background()

	token := strings.Repeat("a", 40)
	in := &ctl.CreateGatewayInput{Name: aws.String("Tools-GW"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeAwsIam,
		ProtocolType: types.GatewayProtocolTypeMcp, ClientToken: aws.String(token), Description: aws.String("tools"),
		Tags: map[string]string{"team": "a"}}
	created, err := c.CreateGateway(ctx, in)
	if err != nil {
		t.Fatalf("CreateGateway: %v", err)
	}
	id := aws.ToString(created.GatewayId)
	if !gatewayIDRe.MatchString(id) || !gatewayArnRe.MatchString(aws.ToString(created.GatewayArn)) || created.Status != types.GatewayStatusCreating {
		t.Fatalf("CreateGateway: id %q arn %q status %s", id, aws.ToString(created.GatewayArn), created.Status)
	}
	if want := r.url + "/gateways/" + id + "/mcp"; aws.ToString(created.GatewayUrl) != want {
		t.Fatalf("gatewayUrl %q, want %q", aws.ToString(created.GatewayUrl), want)
	}
	again, err := c.CreateGateway(ctx, in)
	if err != nil || aws.ToString(again.GatewayId) != id {
		t.Fatalf("CreateGateway retried with its clientToken: %v, id %s (want %s)", err, aws.ToString(again.GatewayId), id)
	}
	in2 := *in
	in2.Description = aws.String("other")
	if _, err := c.CreateGateway(ctx, &in2); apiCode(err) != "ConflictException" {
		t.Fatalf("clientToken reused with other parameters: %v", err)
	}
	in2.ClientToken = nil
	if _, err := c.CreateGateway(ctx, &in2); apiCode(err) != "ConflictException" {
		t.Fatalf("same name again: %v", err)
	}
	if g := waitGateway(t, c, id); g.Status != types.GatewayStatusReady || aws.ToString(g.Name) != "Tools-GW" || g.AuthorizerType != types.AuthorizerTypeAwsIam {
		t.Fatalf("GetGateway: %+v", g)
	}

	// Bad input: each the model's error, before anything is made.
	for name, bad := range map[string]*ctl.CreateGatewayInput{
		"name pattern":    {Name: aws.String("bad_name"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeNone},
		"role pattern":    {Name: aws.String("g2"), RoleArn: aws.String("role"), AuthorizerType: types.AuthorizerTypeNone},
		"jwt without":     {Name: aws.String("g2"), RoleArn: aws.String("arn:aws:iam::123456789012:role/x"), AuthorizerType: types.AuthorizerTypeCustomJwt},
		"short token":     {Name: aws.String("g2"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeNone, ClientToken: aws.String("short")},
		"bad search type": {Name: aws.String("g2"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeNone, ProtocolConfiguration: &types.GatewayProtocolConfigurationMemberMcp{Value: types.MCPGatewayConfiguration{SearchType: "FUZZY"}}},
		"jwt bad url": {Name: aws.String("g2"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeCustomJwt,
			AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String("https://idp.example.com/keys"), AllowedClients: []string{"c"}}}},
	} {
		if _, err := c.CreateGateway(ctx, bad); apiCode(err) != "ValidationException" {
			t.Errorf("%s: %v, want a ValidationException", name, err)
		}
	}

	// Listing pages through every gateway.
	for i := range 3 {
		if _, err := c.CreateGateway(ctx, &ctl.CreateGatewayInput{Name: aws.String(fmt.Sprintf("more%d", i)), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeNone}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := ctl.NewListGatewaysPaginator(c, &ctl.ListGatewaysInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListGateways: %v", err)
		}
		pages++
		for _, g := range out.Items {
			names = append(names, aws.ToString(g.Name))
		}
	}
	slices.Sort(names)
	if pages != 2 || !slices.Equal(names, []string{"Tools-GW", "more0", "more1", "more2"}) {
		t.Fatalf("ListGateways: %d pages, %v", pages, names)
	}

	// Update: UPDATING, then READY with the new configuration.
	up, err := c.UpdateGateway(ctx, &ctl.UpdateGatewayInput{GatewayIdentifier: aws.String(id), Name: aws.String("Tools-GW"), RoleArn: aws.String(testRole),
		AuthorizerType: types.AuthorizerTypeNone, ProtocolType: types.GatewayProtocolTypeMcp,
		ProtocolConfiguration: &types.GatewayProtocolConfigurationMemberMcp{Value: types.MCPGatewayConfiguration{SearchType: types.SearchTypeSemantic}}})
	if err != nil || up.Status != types.GatewayStatusUpdating {
		t.Fatalf("UpdateGateway: %v %+v", err, up)
	}
	if g := waitGateway(t, c, id); g.AuthorizerType != types.AuthorizerTypeNone || g.ProtocolConfiguration == nil {
		t.Fatalf("after UpdateGateway: %+v", g)
	}

	// Tags on the gateway's ARN.
	arn := aws.ToString(created.GatewayArn)
	if _, err := c.TagResource(ctx, &ctl.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "dev"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &ctl.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || tags.Tags["team"] != "a" || tags.Tags["env"] != "dev" {
		t.Fatalf("ListTagsForResource: %v %v", err, tags)
	}

	// Targets: an MCP server nobody answers fails with its reason; Lambda is refused at once.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	tgt, err := c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(id), Name: aws.String("gone"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(deadURL + "/mcp")}}}})
	if err != nil || !targetIDRe.MatchString(aws.ToString(tgt.TargetId)) || tgt.Status != types.TargetStatusCreating {
		t.Fatalf("CreateGatewayTarget: %v %+v", err, tgt)
	}
	if got := waitTarget(t, c, id, aws.ToString(tgt.TargetId)); got.Status != types.TargetStatusFailed || len(got.StatusReasons) == 0 || !strings.Contains(got.StatusReasons[0], deadURL) {
		t.Fatalf("a target nobody answers: %s %v", got.Status, got.StatusReasons)
	}
	_, err = c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(id), Name: aws.String("orders"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberLambda{Value: types.McpLambdaTargetConfiguration{
			LambdaArn:  aws.String("arn:aws:lambda:us-east-1:123456789012:function:orders"),
			ToolSchema: &types.ToolSchemaMemberInlinePayload{Value: []types.ToolDefinition{{Name: aws.String("get"), Description: aws.String("d"), InputSchema: &types.SchemaDefinition{Type: types.SchemaTypeObject}}}},
		}}}})
	if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), "AGENTCORE_LOCAL_LAMBDA_URLS") {
		t.Fatalf("a Lambda target: %v", err)
	}
	_, err = c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(id), Name: aws.String("api"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberOpenApiSchema{Value: &types.ApiSchemaConfigurationMemberInlinePayload{Value: "{}"}}}})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("an OpenAPI target without a credential: %v", err)
	}
	_, err = c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String("nope-abcdefghij"), Name: aws.String("x"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String("https://example.com/mcp")}}}})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("a target of a gateway that does not exist: %v", err)
	}
	for _, name := range []string{"gone2", "gone3"} {
		if _, err := c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(id), Name: aws.String(name),
			TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(deadURL + "/mcp")}}}}); err != nil {
			t.Fatal(err)
		}
	}
	var targetNames []string
	tp := ctl.NewListGatewayTargetsPaginator(c, &ctl.ListGatewayTargetsInput{GatewayIdentifier: aws.String(id), MaxResults: aws.Int32(2)})
	for pages = 0; tp.HasMorePages(); pages++ {
		out, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListGatewayTargets: %v", err)
		}
		for _, it := range out.Items {
			targetNames = append(targetNames, aws.ToString(it.Name))
		}
	}
	slices.Sort(targetNames)
	if pages != 2 || !slices.Equal(targetNames, []string{"gone", "gone2", "gone3"}) {
		t.Fatalf("ListGatewayTargets: %d pages, %v", pages, targetNames)
	}
	if _, err := c.ListGatewayTargets(ctx, &ctl.ListGatewayTargetsInput{GatewayIdentifier: aws.String(id), NextToken: aws.String("!!")}); apiCode(err) != "ValidationException" {
		t.Fatalf("a nextToken not of this endpoint: %v", err)
	}
	tl, _ := c.ListGatewayTargets(ctx, &ctl.ListGatewayTargetsInput{GatewayIdentifier: aws.String(id)})
	for _, it := range tl.Items {
		if aws.ToString(it.Name) != "gone" {
			waitTarget(t, c, id, aws.ToString(it.TargetId))
			if _, err := c.DeleteGatewayTarget(ctx, &ctl.DeleteGatewayTargetInput{GatewayIdentifier: aws.String(id), TargetId: it.TargetId}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A gateway with targets is not deleted; without, DELETING then gone.
	if _, err := c.DeleteGateway(ctx, &ctl.DeleteGatewayInput{GatewayIdentifier: aws.String(id)}); apiCode(err) != "ConflictException" {
		t.Fatalf("DeleteGateway with a target: %v", err)
	}
	dt, err := c.DeleteGatewayTarget(ctx, &ctl.DeleteGatewayTargetInput{GatewayIdentifier: aws.String(id), TargetId: tgt.TargetId})
	if err != nil || dt.Status != types.TargetStatusDeleting {
		t.Fatalf("DeleteGatewayTarget: %v %+v", err, dt)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DeleteGateway(ctx, &ctl.DeleteGatewayInput{GatewayIdentifier: aws.String(id)})
		if err == nil {
			if d.Status != types.GatewayStatusDeleting {
				t.Fatalf("DeleteGateway: %+v", d)
			}
			break
		}
		if apiCode(err) != "ConflictException" || time.Now().After(deadline) {
			t.Fatalf("DeleteGateway after its target's deletion: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		_, err := c.GetGateway(ctx, &ctl.GetGatewayInput{GatewayIdentifier: aws.String(id)})
		if apiCode(err) == "ResourceNotFoundException" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetGateway after DeleteGateway: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---- data plane ----

// signingTransport signs every request with the endpoint's keys for bedrock-agentcore, as
// an AWS_IAM gateway's MCP clients do.
type signingTransport struct{ creds auth.Credentials }

func (s signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if err := auth.Sign(req, s.creds, "us-east-1", "bedrock-agentcore", time.Now()); err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(req)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// bearerTransport adds a bearer token.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(req)
}

func connectMCP(t testing.TB, url string, rt http.RoundTripper) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: &http.Client{Transport: rt}, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
}

// calcServer is an MCP server with two tools, started in-process.
func calcServer(t testing.TB) *httptest.Server {
	ts, _ := calcMCP(t)
	return ts
}

// calcMCP is calcServer and its MCP server, to add tools to.
func calcMCP(t testing.TB) (*httptest.Server, *mcp.Server) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "calc", Version: "1"}, nil)
	type addIn struct {
		A int `json:"a"`
		B int `json:"b"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "add", Description: "add two numbers"}, func(_ context.Context, _ *mcp.CallToolRequest, in addIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprint(in.A + in.B)}}}, nil, nil
	})
	type echoIn struct {
		Text string `json:"text"`
	}
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "say the text back"}, func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}, nil, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, srv
}

// weatherAPI is an HTTP API that wants an API key in X-Api-Key, with its OpenAPI document.
func weatherAPI(t testing.TB, key string) (*httptest.Server, string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /weather/{city}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "Key "+key {
			http.Error(w, `{"message":"bad key"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"city":%q,"units":%q,"temp":21}`, r.PathValue("city"), r.URL.Query().Get("units"))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	spec := `openapi: 3.0.3
info: {title: weather, version: "1"}
servers:
  - url: ` + ts.URL + `
paths:
  /weather/{city}:
    get:
      operationId: getWeather
      summary: the weather of a city
      parameters:
        - {name: city, in: path, required: true, schema: {type: string}}
        - {name: units, in: query, schema: {type: string, enum: [metric, imperial]}}
      responses:
        "200": {description: ok}
`
	return ts, spec
}

func toolNames(t testing.TB, cs *mcp.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func callText(t testing.TB, cs *mcp.ClientSession, name string, args any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError
}

// gatewayWithTargets makes an AWS_IAM gateway (semantic search on) with an MCP target
// (calc) and an OpenAPI target (weather) whose API key comes from an Identity provider.
func gatewayWithTargets(t testing.TB, r *running) (c *ctl.Client, gw string, url string, targets map[string]string) {
	c, gw, url, targets, _ = gatewayWithCalc(t, r)
	return
}

// gatewayWithCalc is gatewayWithTargets and the calc target's MCP server.
func gatewayWithCalc(t testing.TB, r *running) (c *ctl.Client, gw string, url string, targets map[string]string, calcSrv *mcp.Server) {
	c = gatewayClient(r)
	ctx := context.Background()
	calc, calcSrv := calcMCP(t)
	_, spec := weatherAPI(t, "s3cret")
	key, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("weather-key"), ApiKey: aws.String("s3cret")})
	if err != nil {
		t.Fatalf("CreateApiKeyCredentialProvider: %v", err)
	}
	g, err := c.CreateGateway(ctx, &ctl.CreateGatewayInput{Name: aws.String("tools"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeAwsIam,
		ProtocolConfiguration: &types.GatewayProtocolConfigurationMemberMcp{Value: types.MCPGatewayConfiguration{SearchType: types.SearchTypeSemantic}}})
	if err != nil {
		t.Fatalf("CreateGateway: %v", err)
	}
	gw = aws.ToString(g.GatewayId)
	waitGateway(t, c, gw)
	targets = map[string]string{}
	mk := func(in *ctl.CreateGatewayTargetInput) {
		in.GatewayIdentifier = aws.String(gw)
		out, err := c.CreateGatewayTarget(ctx, in)
		if err != nil {
			t.Fatalf("CreateGatewayTarget %s: %v", aws.ToString(in.Name), err)
		}
		if got := waitTarget(t, c, gw, aws.ToString(out.TargetId)); got.Status != types.TargetStatusReady {
			t.Fatalf("target %s: %s %v", aws.ToString(in.Name), got.Status, got.StatusReasons)
		}
		targets[aws.ToString(in.Name)] = aws.ToString(out.TargetId)
	}
	mk(&ctl.CreateGatewayTargetInput{Name: aws.String("calc"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(calc.URL)}}}})
	mk(&ctl.CreateGatewayTargetInput{Name: aws.String("weather"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberOpenApiSchema{Value: &types.ApiSchemaConfigurationMemberInlinePayload{Value: spec}}},
		CredentialProviderConfigurations: []types.CredentialProviderConfiguration{{CredentialProviderType: types.CredentialProviderTypeApiKey,
			CredentialProvider: &types.CredentialProviderMemberApiKeyCredentialProvider{Value: types.GatewayApiKeyCredentialProvider{
				ProviderArn: key.CredentialProviderArn, CredentialParameterName: aws.String("X-Api-Key"), CredentialPrefix: aws.String("Key"),
				CredentialLocation: types.ApiKeyCredentialLocationHeader}}}}})
	return c, gw, aws.ToString(g.GatewayUrl), targets, calcSrv
}

func TestGatewayMCP(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c, gw, url, targets, calcSrv := gatewayWithCalc(t, r)
	ctx := context.Background()

	// Unsigned or wrongly signed: refused before MCP.
	for name, rt := range map[string]http.RoundTripper{"unsigned": http.DefaultTransport, "other keys": signingTransport{creds: auth.Credentials{AccessKeyID: "AKIAOTHER", SecretAccessKey: "x"}}} {
		if _, err := connectMCP(t, url, rt); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Errorf("%s: %v, want a 401", name, err)
		}
	}
	// An agent's sandbox credentials, of a runtime that does not exist: refused.
	ac := r.srv.Credentials().Agent("nope-abcdefghij")
	agentRT := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		req = req.Clone(req.Context())
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: ac.AccessKeyID, SecretAccessKey: ac.SecretAccessKey, SessionToken: ac.SessionToken}
		if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
			return nil, err
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := agentRT.RoundTrip(req); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "which no longer exists") {
			t.Errorf("a deleted runtime's sandbox credentials: %s %s", resp.Status, body)
		}
	}
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned POST: %v %v", err, resp.Status)
	}
	resp.Body.Close()

	cs, err := connectMCP(t, url, signingTransport{creds: r.srv.Credentials()})
	if err != nil {
		t.Fatalf("connecting to the gateway: %v", err)
	}
	defer cs.Close()
	want := []string{"calc___add", "calc___echo", "weather___getWeather", "x_amz_bedrock_agentcore_search"}
	if got := toolNames(t, cs); !slices.Equal(got, want) {
		t.Fatalf("tools/list: %v, want %v", got, want)
	}
	if text, isErr := callText(t, cs, "calc___add", map[string]any{"a": 2, "b": 2}); text != "4" || isErr {
		t.Fatalf("calc___add: %q %v", text, isErr)
	}
	text, isErr := callText(t, cs, "weather___getWeather", map[string]any{"city": "Paris", "units": "metric"})
	if isErr || !strings.Contains(text, `"city":"Paris"`) || !strings.Contains(text, `"units":"metric"`) {
		t.Fatalf("weather___getWeather: %q %v", text, isErr)
	}
	if text, _ := callText(t, cs, "x_amz_bedrock_agentcore_search", map[string]any{"query": "what is the weather in a city"}); !strings.HasPrefix(text, `{"tools":[{`) || !strings.Contains(text, "weather___getWeather") || strings.Contains(text, "calc___echo") {
		t.Fatalf("search: %s", text)
	}

	// The API key comes from Identity at each call: a changed key is used at once.
	if _, err := c.UpdateApiKeyCredentialProvider(ctx, &ctl.UpdateApiKeyCredentialProviderInput{Name: aws.String("weather-key"), ApiKey: aws.String("wrong")}); err != nil {
		t.Fatal(err)
	}
	if text, isErr := callText(t, cs, "weather___getWeather", map[string]any{"city": "Paris"}); !isErr || !strings.Contains(text, "401") {
		t.Fatalf("with a key the API refuses: %q %v", text, isErr)
	}

	// A tool added to the MCP server shows once the target is synchronized.
	mcp.AddTool(calcSrv, &mcp.Tool{Name: "mul", Description: "multiply"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct{ A, B int }) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprint(in.A * in.B)}}}, nil, nil
	})
	if got := toolNames(t, cs); slices.Contains(got, "calc___mul") {
		t.Fatalf("a tool shown before synchronization: %v", got)
	}
	syn, err := c.SynchronizeGatewayTargets(ctx, &ctl.SynchronizeGatewayTargetsInput{GatewayIdentifier: aws.String(gw), TargetIdList: []string{targets["calc"]}})
	if err != nil || len(syn.Targets) != 1 || syn.Targets[0].Status != types.TargetStatusSynchronizing {
		t.Fatalf("SynchronizeGatewayTargets: %v %+v", err, syn)
	}
	if got := waitTarget(t, c, gw, targets["calc"]); got.Status != types.TargetStatusReady || got.LastSynchronizedAt == nil {
		t.Fatalf("after synchronization: %s %v", got.Status, got.StatusReasons)
	}
	if text, _ := callText(t, cs, "calc___mul", map[string]any{"A": 6, "B": 7}); text != "42" {
		t.Fatalf("calc___mul: %q", text)
	}

	// An update to a server nobody answers keeps the tools it had, UPDATE_UNSUCCESSFUL.
	up, err := c.UpdateGatewayTarget(ctx, &ctl.UpdateGatewayTargetInput{GatewayIdentifier: aws.String(gw), TargetId: aws.String(targets["calc"]), Name: aws.String("calc"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String("http://127.0.0.1:1/mcp")}}}})
	if err != nil || up.Status != types.TargetStatusUpdating {
		t.Fatalf("UpdateGatewayTarget: %v %+v", err, up)
	}
	if got := waitTarget(t, c, gw, targets["calc"]); got.Status != types.TargetStatusUpdateUnsuccessful || len(got.StatusReasons) == 0 {
		t.Fatalf("after a failed update: %s %v", got.Status, got.StatusReasons)
	}
	if got := toolNames(t, cs); !slices.Contains(got, "calc___mul") {
		t.Fatalf("tools/list after a failed update: %v", got)
	}

	// A target deleted: its tools leave tools/list.
	if _, err := c.DeleteGatewayTarget(ctx, &ctl.DeleteGatewayTargetInput{GatewayIdentifier: aws.String(gw), TargetId: aws.String(targets["calc"])}); err != nil {
		t.Fatal(err)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"weather___getWeather", "x_amz_bedrock_agentcore_search"}) {
		t.Fatalf("tools/list after the calc target's deletion: %v", got)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "calc___add", Arguments: map[string]any{"a": 1, "b": 1}})
	if err == nil && !res.IsError {
		t.Fatalf("a deleted target's tool was called: %+v", res)
	}
}

// TestGatewayJWT: a CUSTOM_JWT gateway checks bearer tokens against the discovery URL's JWKS.
func TestGatewayJWT(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := gatewayClient(r)
	ctx := context.Background()
	calc := calcServer(t)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
				"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer idp.Close()
	sign := func(k *rsa.PrivateKey, client string, exp time.Time) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": idp.URL, "client_id": client, "exp": exp.Unix(), "iat": time.Now().Unix(), "scope": "tools/read"})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	g, err := c.CreateGateway(ctx, &ctl.CreateGatewayInput{Name: aws.String("jwt"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeCustomJwt,
		ProtocolConfiguration: &types.GatewayProtocolConfigurationMemberMcp{Value: types.MCPGatewayConfiguration{Instructions: aws.String("add with calc"),
			SessionConfiguration: &types.SessionConfiguration{SessionTimeoutInSeconds: aws.Int32(900)}}},
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(idp.URL + "/.well-known/openid-configuration"), AllowedClients: []string{"my-agent"}}}})
	if err != nil {
		t.Fatalf("CreateGateway: %v", err)
	}
	gw := aws.ToString(g.GatewayId)
	waitGateway(t, c, gw)
	out, err := c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(gw), Name: aws.String("calc"),
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(calc.URL)}}}})
	if err != nil {
		t.Fatal(err)
	}
	waitTarget(t, c, gw, aws.ToString(out.TargetId))

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for name, tc := range map[string]struct {
		rt   http.RoundTripper
		code string
	}{
		"no token":       {http.DefaultTransport, "Unauthorized"},
		"expired":        {bearerTransport{sign(key, "my-agent", time.Now().Add(-time.Hour))}, "Unauthorized"},
		"other key":      {bearerTransport{sign(other, "my-agent", time.Now().Add(time.Hour))}, "Unauthorized"},
		"other client":   {bearerTransport{sign(key, "someone", time.Now().Add(time.Hour))}, "Forbidden"},
		"SigV4 not JWT":  {signingTransport{creds: r.srv.Credentials()}, "Unauthorized"},
		"garbage bearer": {bearerTransport{"not.a.jwt"}, "Unauthorized"},
	} {
		if _, err := connectMCP(t, aws.ToString(g.GatewayUrl), tc.rt); err == nil || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	cs, err := connectMCP(t, aws.ToString(g.GatewayUrl), bearerTransport{sign(key, "my-agent", time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatalf("with a good token: %v", err)
	}
	defer cs.Close()
	if got := cs.InitializeResult().Instructions; got != "add with calc" {
		t.Fatalf("instructions: %q", got)
	}
	if text, _ := callText(t, cs, "calc___echo", map[string]any{"text": "hi"}); text != "hi" {
		t.Fatalf("calc___echo: %q", text)
	}
}

// TestGatewayTargetKinds: an MCP target reached with an OAuth2 client-credentials token of
// the local Identity, an MCP target that is another gateway of this endpoint (called signed
// with its keys), a Lambda target mapped to a local URL, and a target whose job a stopped
// endpoint left, finished by the next start.
func TestGatewayTargetKinds(t *testing.T) {
	dir := t.TempDir()
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		fmt.Fprintf(w, `{"tool":%q,"id":%q}`, r.Header.Get("X-Amzn-Bedrock-AgentCore-Tool-Name"), in["id"])
	}))
	defer lambda.Close()
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	t.Setenv("AGENTCORE_LOCAL_LAMBDA_URLS", fn+"="+lambda.URL)
	r := start(t, dir)
	stopped := false
	defer func() {
		if !stopped {
			r.stop(t)
		}
	}()
	c := gatewayClient(r)
	ctx := context.Background()
	mkGateway := func(name string, auth types.AuthorizerType) *ctl.GetGatewayOutput {
		g, err := c.CreateGateway(ctx, &ctl.CreateGatewayInput{Name: aws.String(name), RoleArn: aws.String(testRole), AuthorizerType: auth})
		if err != nil {
			t.Fatal(err)
		}
		return waitGateway(t, c, aws.ToString(g.GatewayId))
	}
	mkTarget := func(gw string, in *ctl.CreateGatewayTargetInput) string {
		in.GatewayIdentifier = aws.String(gw)
		out, err := c.CreateGatewayTarget(ctx, in)
		if err != nil {
			t.Fatalf("CreateGatewayTarget %s: %v", aws.ToString(in.Name), err)
		}
		return aws.ToString(out.TargetId)
	}
	mcpServer := func(u string) types.TargetConfiguration {
		return &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{Value: types.McpServerTargetConfiguration{Endpoint: aws.String(u)}}}
	}

	// OAuth2: the target's server wants the token the provider's token endpoint gives.
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, _ := r.BasicAuth()
		if r.URL.Path != "/token" || id != "cid" || secret != "csecret" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "calc" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok-1","token_type":"Bearer"}`)
	}))
	defer idp.Close()
	prov, err := c.CreateOauth2CredentialProvider(ctx, &ctl.CreateOauth2CredentialProviderInput{Name: aws.String("calc-idp"), CredentialProviderVendor: types.CredentialProviderVendorTypeCustomOauth2,
		Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberCustomOauth2ProviderConfig{Value: types.CustomOauth2ProviderConfigInput{
			ClientId: aws.String("cid"), ClientSecret: aws.String("csecret"), OauthDiscovery: &types.Oauth2DiscoveryMemberAuthorizationServerMetadata{Value: types.Oauth2AuthorizationServerMetadata{
				Issuer: aws.String(idp.URL), AuthorizationEndpoint: aws.String(idp.URL + "/authorize"), TokenEndpoint: aws.String(idp.URL + "/token")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	calc := calcServer(t)
	guarded := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		calc.Config.Handler.ServeHTTP(w, r)
	}))
	defer guarded.Close()

	inner := mkGateway("inner", types.AuthorizerTypeAwsIam)
	innerID := aws.ToString(inner.GatewayId)
	id := mkTarget(innerID, &ctl.CreateGatewayTargetInput{Name: aws.String("calc"), TargetConfiguration: mcpServer(guarded.URL),
		CredentialProviderConfigurations: []types.CredentialProviderConfiguration{{CredentialProviderType: types.CredentialProviderTypeOauth,
			CredentialProvider: &types.CredentialProviderMemberOauthCredentialProvider{Value: types.OAuthCredentialProvider{ProviderArn: prov.CredentialProviderArn, Scopes: []string{"calc"}}}}}})
	if got := waitTarget(t, c, innerID, id); got.Status != types.TargetStatusReady {
		t.Fatalf("an OAuth2 MCP target: %s %v", got.Status, got.StatusReasons)
	}

	// The outer gateway (no inbound auth) reaches the inner one signed with the endpoint's keys.
	outer := mkGateway("outer", types.AuthorizerTypeNone)
	outerID := aws.ToString(outer.GatewayId)
	if _, err := c.CreateGatewayTarget(ctx, &ctl.CreateGatewayTargetInput{GatewayIdentifier: aws.String(outerID), Name: aws.String("self"), TargetConfiguration: mcpServer(aws.ToString(outer.GatewayUrl))}); apiCode(err) != "ValidationException" {
		t.Fatalf("a gateway as its own target: %v", err)
	}
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("inner"), TargetConfiguration: mcpServer(aws.ToString(inner.GatewayUrl))})
	if got := waitTarget(t, c, outerID, id); got.Status != types.TargetStatusReady {
		t.Fatalf("a target on this endpoint: %s %v", got.Status, got.StatusReasons)
	}
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("orders"), TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberLambda{Value: types.McpLambdaTargetConfiguration{
		LambdaArn: aws.String(fn), ToolSchema: &types.ToolSchemaMemberInlinePayload{Value: []types.ToolDefinition{{Name: aws.String("getOrder"), Description: aws.String("an order by id"),
			InputSchema: &types.SchemaDefinition{Type: types.SchemaTypeObject, Properties: map[string]types.SchemaDefinition{"id": {Type: types.SchemaTypeString}}}}}}}}}})
	if got := waitTarget(t, c, outerID, id); got.Status != types.TargetStatusReady {
		t.Fatalf("a mapped Lambda target: %s %v", got.Status, got.StatusReasons)
	}
	// An OpenAPI document from the local S3; one that does not parse fails with its line.
	key, err := c.CreateApiKeyCredentialProvider(ctx, &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("k"), ApiKey: aws.String("s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	_, spec := weatherAPI(t, "s3cret")
	sc := s3Client(r)
	if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("specs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("specs"), Key: aws.String("weather.yaml"), Body: strings.NewReader(spec)}); err != nil {
		t.Fatal(err)
	}
	apiKey := []types.CredentialProviderConfiguration{{CredentialProviderType: types.CredentialProviderTypeApiKey,
		CredentialProvider: &types.CredentialProviderMemberApiKeyCredentialProvider{Value: types.GatewayApiKeyCredentialProvider{
			ProviderArn: key.CredentialProviderArn, CredentialParameterName: aws.String("X-Api-Key"), CredentialPrefix: aws.String("Key")}}}}
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("weather"), CredentialProviderConfigurations: apiKey,
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberOpenApiSchema{Value: &types.ApiSchemaConfigurationMemberS3{Value: types.S3Configuration{Uri: aws.String("s3://specs/weather.yaml")}}}}})
	if got := waitTarget(t, c, outerID, id); got.Status != types.TargetStatusReady {
		t.Fatalf("an OpenAPI target from S3: %s %v", got.Status, got.StatusReasons)
	}
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("broken"), CredentialProviderConfigurations: apiKey,
		TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberOpenApiSchema{Value: &types.ApiSchemaConfigurationMemberInlinePayload{Value: "openapi: 3.0.0\npaths: [\n"}}}})
	if got := waitTarget(t, c, outerID, id); got.Status != types.TargetStatusFailed || len(got.StatusReasons) != 1 || !strings.Contains(got.StatusReasons[0], "line 2") {
		t.Fatalf("an OpenAPI target that does not parse: %s %v", got.Status, got.StatusReasons)
	}

	cs, err := connectMCP(t, aws.ToString(outer.GatewayUrl), http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	if got := toolNames(t, cs); !slices.Equal(got, []string{"inner___calc___add", "inner___calc___echo", "orders___getOrder", "weather___getWeather"}) {
		t.Fatalf("tools/list: %v", got)
	}
	if text, isErr := callText(t, cs, "inner___calc___add", map[string]any{"a": 40, "b": 2}); text != "42" || isErr {
		t.Fatalf("inner___calc___add: %q %v", text, isErr)
	}
	if text, isErr := callText(t, cs, "weather___getWeather", map[string]any{"city": "Rome"}); isErr || !strings.Contains(text, `"city":"Rome"`) {
		t.Fatalf("weather___getWeather: %q %v", text, isErr)
	}
	if text, isErr := callText(t, cs, "orders___getOrder", map[string]any{"id": "o-7"}); text != `{"tool":"orders___getOrder","id":"o-7"}` || isErr {
		t.Fatalf("orders___getOrder: %q %v", text, isErr)
	}

	// listingMode DYNAMIC: tools/list asks the server each time.
	dynTS, dynSrv := calcMCP(t)
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("dyn"), TargetConfiguration: &types.TargetConfigurationMemberMcp{Value: &types.McpTargetConfigurationMemberMcpServer{
		Value: types.McpServerTargetConfiguration{Endpoint: aws.String(dynTS.URL), ListingMode: types.ListingModeDynamic}}}})
	waitTarget(t, c, outerID, id)
	mcp.AddTool(dynSrv, &mcp.Tool{Name: "neg", Description: "negate"}, func(_ context.Context, _ *mcp.CallToolRequest, in struct{ A int }) (*mcp.CallToolResult, any, error) {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprint(-in.A)}}}, nil, nil
	})
	if got := toolNames(t, cs); !slices.Contains(got, "dyn___neg") {
		t.Fatalf("tools/list of a DYNAMIC target after its server added a tool: %v", got)
	}
	if text, _ := callText(t, cs, "dyn___neg", map[string]any{"A": 5}); text != "-5" {
		t.Fatalf("dyn___neg: %q", text)
	}
	cs.Close()

	// Agent containers reach the gateway at the same path on their AWS_ENDPOINT_URL.
	r.srv.mu.Lock()
	agentsURL := r.srv.otlpAt.gateway
	r.srv.mu.Unlock()
	if agentsURL == "" {
		t.Log("no agents' listener (no Docker bridge address): its gateway path is not tested")
	} else {
		acs, err := connectMCP(t, agentsURL+"/gateways/"+outerID+"/mcp", http.DefaultTransport)
		if err != nil {
			t.Fatalf("the gateway through the agents' listener %s: %v", agentsURL, err)
		}
		if text, _ := callText(t, acs, "inner___calc___add", map[string]any{"a": 1, "b": 2}); text != "3" {
			t.Fatalf("inner___calc___add through the agents' listener: %q", text)
		}
		acs.Close()
	}

	// A job cut short by a stop is run again by the next start.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		calc.Config.Handler.ServeHTTP(w, r)
	}))
	defer slow.Close()
	id = mkTarget(outerID, &ctl.CreateGatewayTargetInput{Name: aws.String("slow"), TargetConfiguration: mcpServer(slow.URL)})
	r.stop(t)
	stopped = true
	close(release)
	r = start(t, dir)
	stopped = false
	c = gatewayClient(r)
	if got := waitTarget(t, c, outerID, id); got.Status != types.TargetStatusReady {
		t.Fatalf("a target whose job a stop cut short: %s %v", got.Status, got.StatusReasons)
	}
}

// rawCall is one signed request of any method, its status and body.
func (r *running) rawCall(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, r.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
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

// TestGatewayModelShapes checks the raw answer of every Gateway operation against the output
// shape of the botocore model: no member the model lacks, every required one, enums,
// patterns, lengths and types (iso8601 timestamps).
func TestGatewayModelShapes(t *testing.T) {
	m := loadModel(t, "bedrock-agentcore-control")
	r := start(t, t.TempDir())
	defer r.stop(t)
	c := gatewayClient(r)
	key, err := c.CreateApiKeyCredentialProvider(context.Background(), &ctl.CreateApiKeyCredentialProviderInput{Name: aws.String("shape-key"), ApiKey: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	_, spec := weatherAPI(t, "k")
	specJSON, _ := json.Marshal(spec)
	jwtConf := `{"customJWTAuthorizer":{"discoveryUrl":"https://idp.example.com/.well-known/openid-configuration","allowedClients":["a"],"customClaims":[{"inboundTokenClaimName":"team","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":{"matchValueString":"x"},"claimMatchOperator":"EQUALS"}}]}}`
	var gw, target string
	steps := []struct {
		op, method, path, body string
		status                 int
	}{
		{"CreateGateway", "POST", "/gateways/", `{"name":"shapes","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"CUSTOM_JWT","authorizerConfiguration":` + jwtConf + `,"protocolType":"MCP","protocolConfiguration":{"mcp":{"supportedVersions":["2025-06-18"],"instructions":"use me","searchType":"SEMANTIC"}},"description":"d","exceptionLevel":"DEBUG","tags":{"a":"b"}}`, 202},
		{"GetGateway", "GET", "/gateways/GW/", "", 200},
		{"ListGateways", "GET", "/gateways/?maxResults=5", "", 200},
		{"CreateGatewayTarget", "POST", "/gateways/GW/targets/", `{"name":"far","description":"d","targetConfiguration":{"mcp":{"mcpServer":{"endpoint":"https://mcp.example.invalid/mcp","listingMode":"DEFAULT","resourcePriority":3}}}}`, 202},
		{"GetGatewayTarget", "GET", "/gateways/GW/targets/TG/", "", 200},
		{"CreateGatewayTarget", "POST", "/gateways/GW/targets/", `{"name":"weather","targetConfiguration":{"mcp":{"openApiSchema":{"inlinePayload":` + string(specJSON) + `}}},"credentialProviderConfigurations":[{"credentialProviderType":"API_KEY","credentialProvider":{"apiKeyCredentialProvider":{"providerArn":"` + aws.ToString(key.CredentialProviderArn) + `","credentialLocation":"QUERY_PARAMETER","credentialParameterName":"key"}}}]}`, 202},
		{"GetGatewayTarget", "GET", "/gateways/GW/targets/TG/", "", 200},
		{"ListGatewayTargets", "GET", "/gateways/GW/targets/?maxResults=1", "", 200},
		{"SynchronizeGatewayTargets", "PUT", "/gateways/GW/synchronizeTargets", `{"targetIdList":["TG"]}`, 202},
		{"GetGatewayTarget", "GET", "/gateways/GW/targets/TG/", "", 200},
		{"UpdateGatewayTarget", "PUT", "/gateways/GW/targets/TG/", `{"name":"weather2","targetConfiguration":{"mcp":{"openApiSchema":{"inlinePayload":` + string(specJSON) + `}}},"credentialProviderConfigurations":[{"credentialProviderType":"API_KEY","credentialProvider":{"apiKeyCredentialProvider":{"providerArn":"` + aws.ToString(key.CredentialProviderArn) + `"}}}]}`, 202},
		{"GetGatewayTarget", "GET", "/gateways/GW/targets/TG/", "", 200},
		{"UpdateGateway", "PUT", "/gateways/GW/", `{"name":"shapes","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"AWS_IAM"}`, 202},
		{"ListTagsForResource", "GET", "/tags/ARN", "", 200},
		{"DeleteGatewayTarget", "DELETE", "/gateways/GW/targets/TG/", "", 202},
	}
	var arn string
	for _, st := range steps {
		op, ok := m.Operations[st.op]
		if !ok {
			t.Fatalf("%s is not in the model", st.op)
		}
		path := strings.NewReplacer("GW", gw, "TG", target, "ARN", arn).Replace(st.path)
		body := strings.ReplaceAll(st.body, `"TG"`, `"`+target+`"`)
		if st.op == "GetGatewayTarget" || st.op == "UpdateGateway" {
			if target != "" {
				waitTarget(t, c, gw, target)
			}
			waitGateway(t, c, gw)
		}
		status, answer := r.rawCall(t, st.method, path, body)
		if status != st.status {
			t.Fatalf("%s %s: HTTP %d, want %d: %s", st.op, path, status, st.status, answer)
		}
		var v any
		if err := json.Unmarshal([]byte(answer), &v); err != nil {
			t.Fatalf("%s: %v: %s", st.op, err, answer)
		}
		if errs := m.check(op.Output.Shape, st.op, v); len(errs) > 0 {
			t.Errorf("%s answered outside its model:\n%s\n%s", st.op, strings.Join(errs, "\n"), answer)
		}
		obj := v.(map[string]any)
		switch st.op {
		case "CreateGateway":
			gw, arn = obj["gatewayId"].(string), obj["gatewayArn"].(string)
		case "CreateGatewayTarget":
			target = obj["targetId"].(string)
		}
	}
}

// Hostile and malformed bodies get a 4xx with a message, never a panic or a 500.
func TestGatewayBadInput(t *testing.T) {
	r := start(t, t.TempDir())
	defer r.stop(t)
	status, answer := r.rawCall(t, "POST", "/gateways/", `{"name":"bad","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"NONE"}`)
	if status != 202 {
		t.Fatalf("CreateGateway: %d %s", status, answer)
	}
	var g struct{ GatewayID string }
	json.Unmarshal([]byte(answer), &g)
	waitGateway(t, gatewayClient(r), g.GatewayID)
	targets := "/gateways/" + g.GatewayID + "/targets/"
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/gateways/", `{"name":`},
		{"POST", "/gateways/", `{"name":5}`},
		{"POST", "/gateways/", `{}`},
		{"POST", "/gateways/", `{"name":"x","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"CUSTOM_JWT","authorizerConfiguration":{"customJWTAuthorizer":null}}`},
		{"POST", "/gateways/", `{"name":"x","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"CUSTOM_JWT","authorizerConfiguration":{"customJWTAuthorizer":{"discoveryUrl":"https://i/.well-known/openid-configuration","customClaims":[{"inboundTokenClaimName":"a","inboundTokenClaimValueType":"STRING","authorizingClaimMatchValue":{"claimMatchValue":null,"claimMatchOperator":"EQUALS"}}]}}}`},
		{"POST", "/gateways/", `{"name":"x","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"NONE","protocolConfiguration":{"mcp":null}}`},
		{"POST", "/gateways/", `{"name":"x","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"NONE","interceptorConfigurations":[{}]}`},
		{"POST", "/gateways/", `{"name":"x","roleArn":"arn:aws:iam::123456789012:role/gw","authorizerType":"NONE","protocolConfiguration":{"mcp":{"sessionConfiguration":{"sessionTimeoutInSeconds":5}}}}`},
		{"POST", targets, `{"name":"t"}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":null}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":{}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":{"endpoint":"ftp://x"}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":{"endpoint":"http://example.com/mcp"}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":{"endpoint":"https://x"},"openApiSchema":{"inlinePayload":"x"}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"openApiSchema":{}}},"credentialProviderConfigurations":[{"credentialProviderType":"API_KEY"}]}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"openApiSchema":{"inlinePayload":"x"}}},"credentialProviderConfigurations":[{"credentialProviderType":"API_KEY","credentialProvider":null}]}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"openApiSchema":{"inlinePayload":"x"}}},"credentialProviderConfigurations":[{"credentialProviderType":"API_KEY","credentialProvider":{"apiKeyCredentialProvider":{"providerArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/nope"}}}]}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"openApiSchema":{"inlinePayload":"x"}}},"credentialProviderConfigurations":[{"credentialProviderType":"OAUTH","credentialProvider":{"oauthCredentialProvider":null}}]}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"openApiSchema":{"s3":{"uri":"s3://b/k","bucketOwnerAccountId":"999999999999"}}}},"credentialProviderConfigurations":[{"credentialProviderType":"GATEWAY_IAM_ROLE"}]}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"lambda":{"lambdaArn":"arn:aws:lambda:us-east-1:123456789012:function:f","toolSchema":{}}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"smithyModel":{"inlinePayload":"{}"}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"http":{"agentcoreRuntime":{"arn":"x"}}}}`},
		{"POST", targets, `{"name":"t","targetConfiguration":{"mcp":{"mcpServer":{"endpoint":"https://x"}}},"credentialProviderConfigurations":[]}`},
		{"PUT", "/gateways/" + g.GatewayID + "/synchronizeTargets", `{"targetIdList":[]}`},
		{"PUT", "/gateways/" + g.GatewayID + "/synchronizeTargets", `{"targetIdList":["ABCDEFGHIJ"]}`},
		{"GET", "/gateways/NOT_AN_ID/", ""},
		{"GET", "/gateways/?maxResults=0", ""},
		{"GET", "/gateways/?nextToken=%20", ""},
		{"GET", targets + "ABCDEFGHIJ/", ""},
		{"DELETE", "/gateways/nope-abcdefghij/", ""},
		{"POST", "/tags/arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/" + g.GatewayID, `{"tags":{"bad key!":"v"}}`},
		{"GET", "/tags/arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/nope-abcdefghij", ""},
	} {
		status, body := r.rawCall(t, c.method, c.path, c.body)
		if status < 400 || status >= 500 || !strings.Contains(body, `"message"`) {
			t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, status, body)
		}
	}
}

// TestGatewayShutdownWithStreams: a client's standalone SSE stream (a GET that stays open)
// does not hold the endpoint's shutdown.
func TestGatewayShutdownWithStreams(t *testing.T) {
	r := start(t, t.TempDir())
	c := gatewayClient(r)
	g, err := c.CreateGateway(context.Background(), &ctl.CreateGatewayInput{Name: aws.String("open"), RoleArn: aws.String(testRole), AuthorizerType: types.AuthorizerTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	waitGateway(t, c, aws.ToString(g.GatewayId))
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: aws.ToString(g.GatewayUrl), MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	r.stop(t) // fails when Shutdown runs out of its time waiting for the stream
}
