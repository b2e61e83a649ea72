package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Status values: GatewayStatus and TargetStatus in the model.
const (
	statusCreating      = "CREATING"
	statusUpdating      = "UPDATING"
	statusReady         = "READY"
	statusDeleting      = "DELETING"
	statusFailed        = "FAILED"
	statusUpdateFailed  = "UPDATE_UNSUCCESSFUL"
	statusSyncing       = "SYNCHRONIZING"
	statusSyncFailed    = "SYNCHRONIZE_UNSUCCESSFUL"
	authIAM             = "AWS_IAM"
	authJWT             = "CUSTOM_JWT"
	authNone            = "NONE"
	authAuthenticate    = "AUTHENTICATE_ONLY"
	searchSemantic      = "SEMANTIC"
	protocolMCP         = "MCP"
	maxGatewaysListPage = 1000
)

// gatewayRec is one gateway as stored. CREATING and UPDATING end at ReadyAt and DELETING at
// GoneAt, read through view, so a transition needs no timer and survives a restart.
type gatewayRec struct {
	ID                      string            `json:"id"`
	Name                    string            `json:"name"`
	Arn                     string            `json:"arn"`
	Description             *string           `json:"description,omitempty"`
	RoleArn                 string            `json:"roleArn"`
	ProtocolType            string            `json:"protocolType"`
	ProtocolConfiguration   *protocolConfig   `json:"protocolConfiguration,omitempty"`
	AuthorizerType          string            `json:"authorizerType"`
	AuthorizerConfiguration *authorizerConfig `json:"authorizerConfiguration,omitempty"`
	KmsKeyArn               *string           `json:"kmsKeyArn,omitempty"`
	ExceptionLevel          *string           `json:"exceptionLevel,omitempty"`
	Status                  string            `json:"status"`
	ReadyAt                 time.Time         `json:"readyAt"`
	GoneAt                  time.Time         `json:"goneAt,omitzero"`
	CreatedAt               time.Time         `json:"createdAt"`
	UpdatedAt               time.Time         `json:"updatedAt"`
	Tags                    map[string]string `json:"tags,omitempty"`
	CreateIdem              idempotency       `json:"createIdem,omitzero"`
}

type protocolConfig struct {
	MCP *mcpConfig `json:"mcp,omitempty"`
}

type mcpConfig struct {
	SupportedVersions    []string `json:"supportedVersions,omitempty"`
	Instructions         *string  `json:"instructions,omitempty"`
	SearchType           *string  `json:"searchType,omitempty"`
	SessionConfiguration *struct {
		SessionTimeoutInSeconds *int `json:"sessionTimeoutInSeconds,omitempty"`
	} `json:"sessionConfiguration,omitempty"`
	StreamingConfiguration *struct {
		EnableResponseStreaming *bool `json:"enableResponseStreaming,omitempty"`
	} `json:"streamingConfiguration,omitempty"`
}

type authorizerConfig struct {
	CustomJWT *jwtConfig `json:"customJWTAuthorizer,omitempty"`
}

type jwtConfig struct {
	DiscoveryURL             *string         `json:"discoveryUrl"`
	AllowedAudience          []string        `json:"allowedAudience,omitempty"`
	AllowedClients           []string        `json:"allowedClients,omitempty"`
	AllowedScopes            []string        `json:"allowedScopes,omitempty"`
	CustomClaims             []claimRule     `json:"customClaims,omitempty"`
	PrivateEndpoint          json.RawMessage `json:"privateEndpoint,omitempty"`
	PrivateEndpointOverrides json.RawMessage `json:"privateEndpointOverrides,omitempty"`
}

type claimRule struct {
	Name      *string     `json:"inboundTokenClaimName"`
	ValueType *string     `json:"inboundTokenClaimValueType"`
	Match     *claimMatch `json:"authorizingClaimMatchValue"`
}

type claimMatch struct {
	Value    *claimValue `json:"claimMatchValue"`
	Operator *string     `json:"claimMatchOperator"`
}

type claimValue struct {
	String *string  `json:"matchValueString,omitempty"`
	List   []string `json:"matchValueStringList,omitempty"`
}

// searchEnabled tells whether the gateway serves x_amz_bedrock_agentcore_search.
func (g *gatewayRec) searchEnabled() bool {
	p := g.ProtocolConfiguration
	return p != nil && p.MCP != nil && p.MCP.SearchType != nil && *p.MCP.SearchType == searchSemantic
}

// view returns the gateway as it stands at now; ok is false once its deletion has finished.
func (g *gatewayRec) view(now time.Time) (gatewayRec, bool) {
	v := *g
	switch {
	case v.Status == statusDeleting && !now.Before(v.GoneAt):
		return v, false
	case (v.Status == statusCreating || v.Status == statusUpdating) && !now.Before(v.ReadyAt):
		v.Status = statusReady
	}
	return v, true
}

// out is the GetGatewayResponse shape.
func (s *Service) gatewayOut(g *gatewayRec) map[string]any {
	o := map[string]any{
		"gatewayArn": g.Arn, "gatewayId": g.ID, "gatewayUrl": s.gatewayURL(g.ID), "name": g.Name,
		"createdAt": ts(g.CreatedAt), "updatedAt": ts(g.UpdatedAt), "status": g.Status, "statusReasons": []string{},
		"roleArn": g.RoleArn, "protocolType": g.ProtocolType, "authorizerType": g.AuthorizerType,
		"workloadIdentityDetails": map[string]string{"workloadIdentityArn": "arn:aws:bedrock-agentcore:" + s.cfg.Region + ":" + s.cfg.Account + ":workload-identity-directory/default/workload-identity/" + g.ID},
	}
	if g.Description != nil {
		o["description"] = *g.Description
	}
	if g.ProtocolConfiguration != nil {
		o["protocolConfiguration"] = g.ProtocolConfiguration
	}
	if g.AuthorizerConfiguration != nil {
		o["authorizerConfiguration"] = g.AuthorizerConfiguration
	}
	if g.KmsKeyArn != nil {
		o["kmsKeyArn"] = *g.KmsKeyArn
	}
	if g.ExceptionLevel != nil {
		o["exceptionLevel"] = *g.ExceptionLevel
	}
	return o
}

// gatewayURL is where a gateway's MCP clients connect: on AWS
// https://{gatewayId}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp; here a path on the
// endpoint, so that its Host check (127.0.0.1:PORT only) holds.
func (s *Service) gatewayURL(id string) string {
	return strings.TrimSuffix(s.cfg.URL(), "/") + "/gateways/" + id + "/mcp"
}

// idempotency is a clientToken and a hash of the rest of its call: a retry with the same
// token and parameters answers the first call's result; the same token with other parameters
// is a ConflictException.
type idempotency struct {
	Token string `json:"token,omitempty"`
	Hash  string `json:"hash,omitempty"`
}

func newIdempotency(token *string, in any) idempotency {
	if token == nil || *token == "" {
		return idempotency{}
	}
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return idempotency{Token: *token, Hash: hex.EncodeToString(sum[:8])}
}

// retries reports whether a call with idempotency n retries the one recorded as i.
func (i idempotency) retries(n idempotency, op string) (bool, error) {
	if n.Token == "" || i.Token != n.Token {
		return false, nil
	}
	if i.Hash != n.Hash {
		return false, conflictf("clientToken %s was already used for a different %s request; use a new token for new parameters", n.Token, op)
	}
	return true, nil
}

// ---- inputs ----

type gatewayInput struct {
	ClientToken               *string           `json:"clientToken,omitempty"`
	Name                      *string           `json:"name"`
	Description               *string           `json:"description,omitempty"`
	RoleArn                   *string           `json:"roleArn"`
	ProtocolType              *string           `json:"protocolType,omitempty"`
	ProtocolConfiguration     *protocolConfig   `json:"protocolConfiguration,omitempty"`
	AuthorizerType            *string           `json:"authorizerType"`
	AuthorizerConfiguration   *authorizerConfig `json:"authorizerConfiguration,omitempty"`
	KmsKeyArn                 *string           `json:"kmsKeyArn,omitempty"`
	InterceptorConfigurations json.RawMessage   `json:"interceptorConfigurations,omitempty"`
	PolicyEngineConfiguration json.RawMessage   `json:"policyEngineConfiguration,omitempty"`
	ExceptionLevel            *string           `json:"exceptionLevel,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`
}

// check validates a Create/UpdateGatewayRequest against the model, and what the local
// endpoint cannot run.
func (in *gatewayInput) check() error {
	c := &check{}
	c.required("name", in.Name != nil)
	if in.Name != nil {
		c.secret("name", *in.Name, 1, 0, gatewayNamePattern)
	}
	c.secretOpt("description", in.Description, 1, 200)
	c.optStr("clientToken", in.ClientToken, 33, 256, clientTokenPattern)
	c.required("roleArn", in.RoleArn != nil)
	c.optStr("roleArn", in.RoleArn, 1, 2048, roleArnPattern)
	c.required("authorizerType", in.AuthorizerType != nil)
	c.enum("authorizerType", in.AuthorizerType, authJWT, authIAM, authNone, authAuthenticate)
	c.enum("protocolType", in.ProtocolType, protocolMCP)
	c.optStr("kmsKeyArn", in.KmsKeyArn, 1, 2048, kmsKeyArnPattern)
	c.enum("exceptionLevel", in.ExceptionLevel, "DEBUG")
	c.tags("tags", in.Tags)
	if p := in.ProtocolConfiguration; p != nil {
		c.required("protocolConfiguration.mcp", p.MCP != nil)
		if m := p.MCP; m != nil {
			c.optStr("protocolConfiguration.mcp.instructions", m.Instructions, 1, 2048, nil)
			c.enum("protocolConfiguration.mcp.searchType", m.SearchType, searchSemantic)
			if m.SessionConfiguration != nil {
				c.intRange("protocolConfiguration.mcp.sessionConfiguration.sessionTimeoutInSeconds", m.SessionConfiguration.SessionTimeoutInSeconds, 900, 28800)
			}
		}
	}
	if c.errs != nil {
		return c.err()
	}
	if len(in.InterceptorConfigurations) > 0 && string(in.InterceptorConfigurations) != "null" {
		return validationf("interceptorConfigurations: the local endpoint runs no Lambda interceptors (Lambda does not run locally); create the gateway without them here, and test interceptors against AWS")
	}
	if len(in.PolicyEngineConfiguration) > 0 && string(in.PolicyEngineConfiguration) != "null" {
		return validationf("policyEngineConfiguration: the local endpoint serves no policy engines; create the gateway without one here, and test policies against AWS")
	}
	switch *in.AuthorizerType {
	case authJWT:
		if in.AuthorizerConfiguration == nil || in.AuthorizerConfiguration.CustomJWT == nil {
			return fieldInvalid("authorizerConfiguration", "null", "authorizerConfiguration.customJWTAuthorizer is required when authorizerType is CUSTOM_JWT")
		}
		return in.AuthorizerConfiguration.CustomJWT.check("authorizerConfiguration.customJWTAuthorizer")
	case authAuthenticate:
		return validationf("authorizerType AUTHENTICATE_ONLY is not served by the local endpoint; use AWS_IAM, CUSTOM_JWT or NONE")
	default:
		if in.AuthorizerConfiguration != nil && in.AuthorizerConfiguration.CustomJWT != nil {
			return validationf("authorizerConfiguration must not be set when authorizerType is %s (it configures CUSTOM_JWT)", *in.AuthorizerType)
		}
	}
	return nil
}

func (c *check) secretOpt(field string, v *string, minLen, maxLen int) {
	if v != nil {
		c.secret(field, *v, minLen, maxLen, nil)
	}
}

func (j *jwtConfig) check(field string) error {
	c := &check{}
	c.required(field+".discoveryUrl", j.DiscoveryURL != nil)
	c.optStr(field+".discoveryUrl", j.DiscoveryURL, 1, 0, discoveryURLPat)
	if j.AllowedAudience != nil {
		c.count(field+".allowedAudience", len(j.AllowedAudience), 1, -1)
	}
	if j.AllowedClients != nil {
		c.count(field+".allowedClients", len(j.AllowedClients), 1, -1)
	}
	if j.AllowedScopes != nil {
		c.count(field+".allowedScopes", len(j.AllowedScopes), 1, -1)
	}
	for _, sc := range j.AllowedScopes {
		c.str(field+".allowedScopes.member", sc, 1, 255, scopePattern)
	}
	if j.CustomClaims != nil {
		c.count(field+".customClaims", len(j.CustomClaims), 1, -1)
	}
	for i, r := range j.CustomClaims {
		f := field + ".customClaims." + strconv.Itoa(i)
		c.required(f+".inboundTokenClaimName", r.Name != nil)
		c.required(f+".inboundTokenClaimValueType", r.ValueType != nil)
		c.enum(f+".inboundTokenClaimValueType", r.ValueType, "STRING", "STRING_ARRAY")
		c.required(f+".authorizingClaimMatchValue", r.Match != nil)
		if r.Match != nil {
			c.required(f+".authorizingClaimMatchValue.claimMatchValue", r.Match.Value != nil)
			c.required(f+".authorizingClaimMatchValue.claimMatchOperator", r.Match.Operator != nil)
			c.enum(f+".authorizingClaimMatchValue.claimMatchOperator", r.Match.Operator, "EQUALS", "CONTAINS", "CONTAINS_ANY")
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	if len(j.PrivateEndpoint) > 0 || len(j.PrivateEndpointOverrides) > 0 {
		return validationf("%s.privateEndpoint: the local endpoint reaches discovery URLs directly; leave privateEndpoint out here", field)
	}
	if j.AllowedAudience == nil && j.AllowedClients == nil && j.AllowedScopes == nil && j.CustomClaims == nil {
		return validationf("%s: set at least one of allowedAudience, allowedClients, allowedScopes or customClaims, or every token the issuer signs would be accepted", field)
	}
	return nil
}

// ---- operations ----

func (s *Service) createGateway(r *http.Request, in *gatewayInput) (reply, error) {
	if err := in.check(); err != nil {
		return reply{}, err
	}
	idem := newIdempotency(in.ClientToken, in)
	now := s.cfg.Now().UTC()
	var out gatewayRec
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketGateways)
		err := b.ForEach(func(k, v []byte) error {
			var g gatewayRec
			if err := json.Unmarshal(v, &g); err != nil {
				return err
			}
			view, live := g.view(now)
			if ok, err := g.CreateIdem.retries(idem, "CreateGateway"); err != nil || ok {
				if err == nil {
					out = view
					err = errRetried
				}
				return err
			}
			if live && g.Name == *in.Name {
				return conflictf("A gateway named %s already exists (%s); names are unique per account and region", g.Name, g.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		id := gatewayID(*in.Name)
		g := gatewayRec{
			ID: id, Name: *in.Name, Arn: "arn:aws:bedrock-agentcore:" + s.cfg.Region + ":" + s.cfg.Account + ":gateway/" + id,
			Description: in.Description, RoleArn: *in.RoleArn, ProtocolType: protocolMCP, ProtocolConfiguration: in.ProtocolConfiguration,
			AuthorizerType: *in.AuthorizerType, AuthorizerConfiguration: in.AuthorizerConfiguration, KmsKeyArn: in.KmsKeyArn,
			ExceptionLevel: in.ExceptionLevel, Status: statusCreating, ReadyAt: now.Add(s.cfg.Transition),
			CreatedAt: now, UpdatedAt: now, Tags: in.Tags, CreateIdem: idem,
		}
		out = g
		return putJSON(b, []byte(id), &g)
	})
	if err != nil && err != errRetried {
		return reply{}, err
	}
	return reply{http.StatusAccepted, s.gatewayOut(&out)}, nil
}

// errRetried ends a transaction's scan when a clientToken retry was found (nothing to write).
var errRetried = &apiError{Code: "retried"}

// gatewayID is the name, lower-cased and cut to the ARN's 48 characters, and 10 random ones.
func gatewayID(name string) string {
	n := strings.ToLower(name)
	if len(n) > 48 {
		n = strings.TrimRight(n[:48], "-")
	}
	return n + "-" + randomAlnum(10, "abcdefghijklmnopqrstuvwxyz0123456789")
}

func randomAlnum(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// gateway loads gateway id as it stands now; a deleted one (or one being deleted, unless
// deleting is true) is a ResourceNotFoundException.
func (s *Service) gateway(tx *bolt.Tx, id string, deleting bool) (*gatewayRec, error) {
	if !gatewayIDPattern.MatchString(id) {
		return nil, fieldInvalid("gatewayIdentifier", id, "Member must satisfy regular expression pattern: ([0-9a-z][-]?){1,100}-[0-9a-z]{10}")
	}
	var g gatewayRec
	ok, err := getJSON(tx.Bucket(bucketGateways), []byte(id), &g)
	if err != nil {
		return nil, err
	}
	if ok {
		if v, live := g.view(s.cfg.Now()); live && (deleting || v.Status != statusDeleting) {
			return &v, nil
		}
	}
	return nil, notFoundf("Gateway %s not found", id)
}

func (s *Service) getGateway(r *http.Request, _ *none) (reply, error) {
	var g *gatewayRec
	err := s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		g, err = s.gateway(tx, r.PathValue("gatewayIdentifier"), true)
		return err
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusOK, s.gatewayOut(g)}, nil
}

// listInput is the query of ListGateways and ListGatewayTargets.
func listInput(r *http.Request) (limit int, after string, err error) {
	q := r.URL.Query()
	limit = maxGatewaysListPage
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, "", fieldInvalid("maxResults", v, "Member must have value between 1 and 1000")
		}
		limit = n
	}
	if _, ok := q["nextToken"]; ok {
		tok := q.Get("nextToken")
		c := &check{}
		c.str("nextToken", tok, 1, 2048, nextTokenPattern)
		if err := c.err(); err != nil {
			return 0, "", err
		}
		after, err = awsproto.ParsePageToken(&tok, validationf("Invalid nextToken: %s", tok))
	}
	return limit, after, err
}

func (s *Service) listGateways(r *http.Request, _ *none) (reply, error) {
	limit, after, err := listInput(r)
	if err != nil {
		return reply{}, err
	}
	now := s.cfg.Now()
	items, next := []any{}, ""
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketGateways).Cursor()
		last := ""
		for k, v := awsproto.SeekAfter(c, after); k != nil; k, v = c.Next() {
			var g gatewayRec
			if err := json.Unmarshal(v, &g); err != nil {
				return err
			}
			view, live := g.view(now)
			if !live {
				continue
			}
			if len(items) == limit {
				next = awsproto.PageToken(last)
				return nil
			}
			o := map[string]any{"gatewayId": view.ID, "name": view.Name, "status": view.Status, "createdAt": ts(view.CreatedAt),
				"updatedAt": ts(view.UpdatedAt), "authorizerType": view.AuthorizerType, "protocolType": view.ProtocolType}
			if view.Description != nil {
				o["description"] = *view.Description
			}
			items, last = append(items, o), string(k)
		}
		return nil
	})
	return listReply(items, next, err)
}

func (s *Service) updateGateway(r *http.Request, in *gatewayInput) (reply, error) {
	if in.ClientToken != nil {
		return reply{}, validationf("UpdateGateway takes no clientToken")
	}
	if err := in.check(); err != nil {
		return reply{}, err
	}
	if in.Tags != nil {
		return reply{}, validationf("UpdateGateway takes no tags; use TagResource")
	}
	id := r.PathValue("gatewayIdentifier")
	now := s.cfg.Now().UTC()
	var out gatewayRec
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		g, err := s.gateway(tx, id, false)
		if err != nil {
			return err
		}
		if g.Status == statusCreating || g.Status == statusUpdating {
			return conflictf("Gateway %s is %s; retry when it is READY", id, g.Status)
		}
		if *in.Name != g.Name {
			err := tx.Bucket(bucketGateways).ForEach(func(_, v []byte) error {
				var o gatewayRec
				if err := json.Unmarshal(v, &o); err != nil {
					return err
				}
				if _, live := o.view(now); live && o.Name == *in.Name && o.ID != id {
					return conflictf("A gateway named %s already exists (%s)", o.Name, o.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		g.Name, g.Description, g.RoleArn = *in.Name, in.Description, *in.RoleArn
		g.ProtocolConfiguration, g.AuthorizerType, g.AuthorizerConfiguration = in.ProtocolConfiguration, *in.AuthorizerType, in.AuthorizerConfiguration
		g.KmsKeyArn, g.ExceptionLevel = in.KmsKeyArn, in.ExceptionLevel
		g.Status, g.ReadyAt, g.UpdatedAt = statusUpdating, now.Add(s.cfg.Transition), now
		out = *g
		return putJSON(tx.Bucket(bucketGateways), []byte(id), g)
	})
	if err != nil {
		return reply{}, err
	}
	s.changed(id)
	return reply{http.StatusAccepted, s.gatewayOut(&out)}, nil
}

func (s *Service) deleteGateway(r *http.Request, _ *none) (reply, error) {
	id := r.PathValue("gatewayIdentifier")
	now := s.cfg.Now().UTC()
	var out gatewayRec
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		g, err := s.gateway(tx, id, true)
		if err != nil {
			return err
		}
		if g.Status != statusDeleting {
			n := 0
			err := forTargets(tx, id, func(t *targetRec) error {
				if _, live := t.view(now); live {
					n++
				}
				return nil
			})
			if err != nil {
				return err
			}
			if n > 0 {
				return conflictf("Gateway %s has %d targets; delete them first (DeleteGatewayTarget)", id, n)
			}
			g.Status, g.GoneAt, g.UpdatedAt = statusDeleting, now.Add(s.cfg.Transition), now
			if err := putJSON(tx.Bucket(bucketGateways), []byte(id), g); err != nil {
				return err
			}
		}
		out = *g
		return nil
	})
	if err != nil {
		return reply{}, err
	}
	s.dropServer(id)
	return reply{http.StatusAccepted, map[string]any{"gatewayId": out.ID, "status": out.Status, "statusReasons": []string{}}}, nil
}

// listReply is a listing's answer: its items, and nextToken when there are more.
func listReply(items []any, next string, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	out := map[string]any{"items": items}
	if next != "" {
		out["nextToken"] = next
	}
	return reply{http.StatusOK, out}, nil
}

// ---- storage ----

func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}
