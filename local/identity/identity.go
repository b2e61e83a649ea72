// Package identity serves AgentCore Identity for the local endpoint: the control plane of
// bedrock-agentcore-control (workload identities, API-key and OAuth2 credential providers, the
// token vault) and the data plane of bedrock-agentcore (workload access tokens, GetResourceApiKey,
// GetResourceOauth2Token), restJson1 under /identities/, with the shapes, enums and error codes
// of the botocore models.
//
// Records live in bbolt, one JSON record per name. API keys and OAuth2 client secrets are kept
// in the local Secrets Manager as AWS keeps them (bedrock-agentcore-identity!default/...), and
// the providers answer the secret's ARN, never the value. Workload access tokens are signed
// with a key derived from the endpoint's secret and expire; nothing is stored for them.
// docs/local-identity.md says what is faithful and what differs.
package identity

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

var (
	bucketWorkloads = []byte("identity.workloads")
	bucketAPIKeys   = []byte("identity.apikeys")
	bucketOAuth2    = []byte("identity.oauth2")
	bucketVault     = []byte("identity.vault")
)

// Secrets is where the providers' secrets are kept: the local Secrets Manager.
type Secrets interface {
	PutManaged(name, value string) (arn string, err error)
	ManagedValue(id string) (string, error)
	DeleteManaged(id string) error
}

// Config is what the service is built from.
type Config struct {
	awsproto.Config
	Secrets Secrets
	// TokenKey signs workload access tokens (derived from the endpoint's secret, so a reset
	// voids them).
	TokenKey []byte
	// HTTP is the client of the OAuth2 token endpoints; default a client with a 30 s timeout.
	HTTP *http.Client
}

// Service is AgentCore Identity; it implements http.Handler.
type Service struct{ cfg Config }

// New opens the service's buckets in cfg.DB.
func New(cfg Config) (*Service, error) {
	if cfg.Secrets == nil || len(cfg.TokenKey) == 0 {
		return nil, fmt.Errorf("identity: Config.Secrets and Config.TokenKey are required")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return awsproto.NewService(cfg.Config, "identity", func(c awsproto.Config) *Service {
		cfg.Config = c
		return &Service{cfg: cfg}
	}, bucketWorkloads, bucketAPIKeys, bucketOAuth2, bucketVault)
}

// IsIdentity tells whether r is for this service: its paths are under /identities/.
func IsIdentity(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/identities/") }

// DataPlane lists the operations of bedrock-agentcore (the data plane) by path: the ones an
// agent's sandbox credentials may call. The value is the operation's name.
var DataPlane = map[string]string{
	"/identities/GetWorkloadAccessToken":          "GetWorkloadAccessToken",
	"/identities/GetWorkloadAccessTokenForJWT":    "GetWorkloadAccessTokenForJWT",
	"/identities/GetWorkloadAccessTokenForUserId": "GetWorkloadAccessTokenForUserId",
	"/identities/api-key":                         "GetResourceApiKey",
	"/identities/oauth2/token":                    "GetResourceOauth2Token",
	"/identities/CompleteResourceTokenAuth":       "CompleteResourceTokenAuth",
}

// Operation names the operation of r (for refusals), "" when none.
func Operation(r *http.Request) string {
	if op, ok := DataPlane[r.URL.Path]; ok {
		return op
	}
	switch p := strings.TrimPrefix(r.URL.Path, "/identities/"); p {
	case "get-token-vault":
		return "GetTokenVault"
	case "set-token-vault-cmk":
		return "SetTokenVaultCMK"
	default:
		return p
	}
}

// op is the route of an operation that takes its input decoded from the JSON body.
func op[In any](f func(*Service, *http.Request, *In) (int, any, error)) func(*Service, http.ResponseWriter, *http.Request) error {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error {
		in := new(In)
		if err := awsproto.ReadJSON(r, in); err != nil {
			e := validation("could not parse the request body as JSON: %v", err)
			e.Reason = "CannotParse"
			return e
		}
		status, out, err := f(s, r, in)
		if err != nil {
			return err
		}
		w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		protocol.Write(w, status, out)
		return nil
	}
}

func post(path string, f func(*Service, http.ResponseWriter, *http.Request) error) awsproto.Route[*Service] {
	return awsproto.Route[*Service]{Method: http.MethodPost, Path: path, Op: f}
}

// api is the table of contents of the service.
var api = &awsproto.Routes[*Service]{
	Protocol: protocol,
	Table: []awsproto.Route[*Service]{
		// bedrock-agentcore-control
		post("/identities/CreateWorkloadIdentity", op((*Service).createWorkload)),
		post("/identities/GetWorkloadIdentity", op((*Service).getWorkload)),
		post("/identities/ListWorkloadIdentities", op((*Service).listWorkloads)),
		post("/identities/UpdateWorkloadIdentity", op((*Service).updateWorkload)),
		post("/identities/DeleteWorkloadIdentity", op((*Service).deleteWorkload)),
		post("/identities/CreateApiKeyCredentialProvider", op((*Service).createAPIKey)),
		post("/identities/GetApiKeyCredentialProvider", op((*Service).getAPIKey)),
		post("/identities/ListApiKeyCredentialProviders", op((*Service).listAPIKeys)),
		post("/identities/UpdateApiKeyCredentialProvider", op((*Service).updateAPIKey)),
		post("/identities/DeleteApiKeyCredentialProvider", op((*Service).deleteAPIKey)),
		post("/identities/CreateOauth2CredentialProvider", op((*Service).createOAuth2)),
		post("/identities/GetOauth2CredentialProvider", op((*Service).getOAuth2)),
		post("/identities/ListOauth2CredentialProviders", op((*Service).listOAuth2)),
		post("/identities/UpdateOauth2CredentialProvider", op((*Service).updateOAuth2)),
		post("/identities/DeleteOauth2CredentialProvider", op((*Service).deleteOAuth2)),
		post("/identities/get-token-vault", op((*Service).getTokenVault)),
		post("/identities/set-token-vault-cmk", op((*Service).setTokenVaultCMK)),
		// bedrock-agentcore
		post("/identities/GetWorkloadAccessToken", op((*Service).getWorkloadAccessToken)),
		post("/identities/GetWorkloadAccessTokenForJWT", op((*Service).getWorkloadAccessTokenForJWT)),
		post("/identities/GetWorkloadAccessTokenForUserId", op((*Service).getWorkloadAccessTokenForUserID)),
		post("/identities/api-key", op((*Service).getResourceAPIKey)),
		post("/identities/oauth2/token", op((*Service).getResourceOAuth2Token)),
		post("/identities/CompleteResourceTokenAuth", op((*Service).completeResourceTokenAuth)),
	},
	NotFound: func(r *http.Request) error {
		return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "no such operation: %s %s", r.Method, r.URL.Path)
	},
}

// ServeHTTP answers the operations under /identities/.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { api.Serve(s, w, r) }

// ---- errors, in the wording of the models ----

var protocol = awsproto.RestJSON{}

type apiError = awsproto.Error

func validation(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...), Reason: "FieldValidationFailed"}
}

func fieldInvalid(field, value, constraint string) *apiError {
	e := validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
	e.Fields = []awsproto.FieldError{{Name: field, Message: constraint}}
	return e
}

func notFound(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

func conflict(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusConflict, "ConflictException", format, args...)
}

func unauthorized(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusUnauthorized, "UnauthorizedException", format, args...)
}

func accessDenied(format string, args ...any) *apiError {
	return awsproto.Errorf(http.StatusForbidden, "AccessDeniedException", format, args...)
}

// field is one member's model constraints.
type field struct {
	name     string
	min, max int
	pattern  *lazyregexp.Regexp // anchored
	raw      string             // the pattern as the model writes it
}

func (f field) check(v *string) error {
	if v == nil {
		return fieldInvalid(f.name, "null", "Member must not be null")
	}
	return f.checkValue(*v)
}

func (f field) checkValue(v string) error {
	switch {
	case len(v) < f.min:
		return fieldInvalid(f.name, v, fmt.Sprintf("Member must have length greater than or equal to %d", f.min))
	case f.max > 0 && len(v) > f.max:
		return fieldInvalid(f.name, truncate(v), fmt.Sprintf("Member must have length less than or equal to %d", f.max))
	case f.pattern != nil && !f.pattern.MatchString(v):
		return fieldInvalid(f.name, truncate(v), "Member must satisfy regular expression pattern: "+f.raw)
	}
	return nil
}

func newField(name string, min, max int, pattern string) field {
	f := field{name: name, min: min, max: max, raw: pattern}
	if pattern != "" {
		f.pattern = lazyregexp.New("^(?:" + pattern + ")$")
	}
	return f
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

var (
	workloadName = newField("name", 3, 255, `[A-Za-z0-9_.-]+`)
	providerName = newField("name", 1, 128, `[a-zA-Z0-9\-_]+`)
	returnURL    = newField("allowedResourceOauth2ReturnUrls", 1, 2048, `\w+:(\/?\/?)[^\s]+`)
	vaultID      = newField("tokenVaultId", 1, 64, `[a-zA-Z0-9\-_]+`)
)

func checkTags(tags map[string]string) error {
	if len(tags) > 50 {
		return fieldInvalid("tags", fmt.Sprint(len(tags)), "Member must have length less than or equal to 50")
	}
	for k, v := range tags {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 {
			return fieldInvalid("tags", k, "tag keys have 1 to 128 characters and values at most 256")
		}
	}
	return nil
}

// checkMax checks a list operation's maxResults against the model's bound.
func checkMax(n *int, max int) (int, error) {
	if n == nil {
		return max, nil
	}
	if *n < 1 || *n > max {
		return 0, fieldInvalid("maxResults", fmt.Sprint(*n), fmt.Sprintf("Member must have value between 1 and %d", max))
	}
	return *n, nil
}

// ---- storage ----

func get[T any](tx *bolt.Tx, bucket []byte, name string) (*T, error) {
	v := tx.Bucket(bucket).Get([]byte(name))
	if v == nil {
		return nil, nil
	}
	rec := new(T)
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, fmt.Errorf("identity: reading %s %q: %w", bucket, name, err)
	}
	return rec, nil
}

func put(tx *bolt.Tx, bucket []byte, name string, rec any) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(name), b)
}

// page lists a bucket's records from the key a nextToken names, at most max of them.
func page[T any](db *bolt.DB, bucket []byte, token *string, max int) ([]*T, *string, error) {
	after, err := awsproto.ParsePageToken(token, validation("Invalid nextToken"))
	if err != nil {
		return nil, nil, err
	}
	out := []*T{}
	var next *string
	err = db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		last := ""
		for k, v := awsproto.SeekAfter(c, after); k != nil; k, v = c.Next() {
			if len(out) == max {
				t := awsproto.PageToken(last)
				next = &t
				break
			}
			rec := new(T)
			if err := json.Unmarshal(v, rec); err != nil {
				return err
			}
			out = append(out, rec)
			last = string(k)
		}
		return nil
	})
	return out, next, err
}

// records is one kind of named record: its bucket, the word of its errors, and its answers.
type records[T any] struct {
	bucket  []byte
	what    string                        // "Workload identity", "Credential provider"
	name    field                         // the model's constraints on its name
	out     func(*T, bool) map[string]any // Get's answer (full) or a List entry
	listKey string                        // the List answer's member
	max     int                           // the List's largest maxResults, its default
}

func (k records[T]) load(s *Service, name string) (*T, error) {
	var rec *T
	err := s.cfg.DB.View(func(tx *bolt.Tx) (err error) {
		rec, err = get[T](tx, k.bucket, name)
		return err
	})
	if err == nil && rec == nil {
		err = notFound("%s %s not found", k.what, name)
	}
	return rec, err
}

// getOp is the Get operation.
func (k records[T]) getOp(s *Service, in *nameInput) (int, any, error) {
	if err := k.name.check(in.Name); err != nil {
		return 0, nil, err
	}
	rec, err := k.load(s, *in.Name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, k.out(rec, true), nil
}

// listOp is the List operation.
func (k records[T]) listOp(s *Service, in *listInput) (int, any, error) {
	max, err := checkMax(in.MaxResults, k.max)
	if err != nil {
		return 0, nil, err
	}
	recs, next, err := page[T](s.cfg.DB, k.bucket, in.NextToken, max)
	if err != nil {
		return 0, nil, err
	}
	items := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		items = append(items, k.out(r, false))
	}
	out := map[string]any{k.listKey: items}
	if next != nil {
		out["nextToken"] = *next
	}
	return http.StatusOK, out, nil
}

// remove deletes the record in.Name names and returns it.
func (k records[T]) remove(s *Service, in *nameInput) (*T, error) {
	if err := k.name.check(in.Name); err != nil {
		return nil, err
	}
	var rec *T
	err := s.cfg.DB.Update(func(tx *bolt.Tx) (err error) {
		if rec, err = get[T](tx, k.bucket, *in.Name); err != nil {
			return err
		}
		if rec == nil {
			return notFound("%s %s not found", k.what, *in.Name)
		}
		return tx.Bucket(k.bucket).Delete([]byte(*in.Name))
	})
	return rec, err
}

// epoch is how the Identity models encode timestamps: seconds since the epoch.
type epoch = awsproto.Epoch
