// Package secretsmanager serves AWS Secrets Manager operations (awsJson1_1, X-Amz-Target
// secretsmanager.*) for the local provider: CreateSecret, PutSecretValue, GetSecretValue,
// DescribeSecret, ListSecrets, DeleteSecret, RestoreSecret, TagResource and UntagResource,
// with the shapes and error codes of the service model (botocore's data/secretsmanager).
//
// Secrets live in bbolt, one JSON record per name holding its versions and their staging
// labels. Values are stored as given (the local provider has no KMS); the database file is
// the endpoint's own, mode 0600. Nothing here logs a value.
package secretsmanager

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// bucketSecrets holds one JSON record per secret, keyed by name.
var bucketSecrets = []byte("secretsmanager.secrets")

const (
	targetPrefix = "secretsmanager."
	stageCurrent = "AWSCURRENT"
	stagePrev    = "AWSPREVIOUS"
	maxValue     = 65536
	maxVersions  = 100 // versions without a staging label beyond these are dropped
	maxTags      = 50
)

// Service is Secrets Manager: its operations are the table api; it implements http.Handler.
type Service struct{ cfg Config }

// Config is what Secrets Manager is built from: the database, account and region of its
// ARNs, and the clock of its dates and deletion windows.
type Config = awsproto.Config

// New opens the secrets, bucketSecrets, in cfg.DB.
func New(cfg Config) (*Service, error) {
	return awsproto.NewService(cfg, "secretsmanager", func(c Config) *Service { return &Service{cfg: c} }, bucketSecrets)
}

// api is the table of contents of the service: X-Amz-Target suffix → operation.
var api = &awsproto.JSONService[*Service]{Prefix: targetPrefix, Protocol: awsproto.JSON{Version: "1.1", BothMessages: true, Internal: "InternalServiceError"}, Ops: map[string]awsproto.Handler[*Service]{
	"CreateSecret":   awsproto.Op((*Service).createSecret),
	"PutSecretValue": awsproto.Op((*Service).putSecretValue),
	"GetSecretValue": awsproto.Op((*Service).getSecretValue),
	"DescribeSecret": awsproto.Op((*Service).describeSecret),
	"ListSecrets":    awsproto.Op((*Service).listSecrets),
	"DeleteSecret":   awsproto.Op((*Service).deleteSecret),
	"RestoreSecret":  awsproto.Op((*Service).restoreSecret),
	"TagResource":    awsproto.Op((*Service).tagResource),
	"UntagResource":  awsproto.Op((*Service).untagResource),
}}

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

type epoch = awsproto.Epoch

// newErr returns a 400 error of the given code.
var newErr = awsproto.ClientErrorf

func notFound() error {
	return newErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func markedForDeletion() error {
	return newErr("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

// tag is a Secrets Manager resource tag.
type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// version is one value of a secret.
type version struct {
	ID      string    `json:"id"`
	String  *string   `json:"string,omitempty"`
	Binary  []byte    `json:"binary,omitempty"`
	Stages  []string  `json:"stages,omitempty"`
	Created time.Time `json:"created"`
}

func (v *version) has(stage string) bool {
	for _, s := range v.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

func (v *version) drop(stage string) {
	out := v.Stages[:0]
	for _, s := range v.Stages {
		if s != stage {
			out = append(out, s)
		}
	}
	v.Stages = out
}

// secret is the stored record of a secret.
type secret struct {
	Name         string     `json:"name"`
	ARN          string     `json:"arn"`
	Description  string     `json:"description,omitempty"`
	KmsKeyID     string     `json:"kmsKeyId,omitempty"`
	Tags         []tag      `json:"tags,omitempty"`
	Versions     []version  `json:"versions,omitempty"` // oldest first
	Created      time.Time  `json:"created"`
	LastChanged  time.Time  `json:"lastChanged"`
	DeletedDate  *time.Time `json:"deletedDate,omitempty"`
	DeletionDate *time.Time `json:"deletionDate,omitempty"` // when a scheduled deletion takes effect
}

func (sc *secret) versionByID(id string) *version {
	for i := range sc.Versions {
		if sc.Versions[i].ID == id {
			return &sc.Versions[i]
		}
	}
	return nil
}

func (sc *secret) versionByStage(stage string) *version {
	for i := range sc.Versions {
		if sc.Versions[i].has(stage) {
			return &sc.Versions[i]
		}
	}
	return nil
}

func (sc *secret) stagesMap() map[string][]string {
	if len(sc.Versions) == 0 {
		return nil
	}
	m := map[string][]string{}
	for _, v := range sc.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = append([]string{}, v.Stages...)
		}
	}
	return m
}

// Secret names: ASCII letters, digits and /_+=.@- (the console's and the API's rule), 1..512.
// nameRE is checked with the length (1 to 512) apart: a counted repetition {1,512} compiles
// to 512 copies of the class, 4 ms of every start-up of the binary.
var nameRE = lazyregexp.New(`^[A-Za-z0-9/_+=.@-]+$`)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// arnFor makes a new secret's ARN: its name and a dash and six random characters, as AWS
// does, so a secret deleted and created again under the same name has another ARN.
func (s *Service) arnFor(name string) string {
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return s.arnPrefix() + name + "-" + string(b[:])
}

func (s *Service) arnPrefix() string {
	return "arn:aws:secretsmanager:" + s.cfg.Region + ":" + s.cfg.Account + ":secret:"
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// load finds a secret by name, full ARN or partial ARN (without the random suffix), and
// forgets one whose scheduled deletion has come.
func (s *Service) load(tx *bolt.Tx, id string) (*secret, error) {
	if id == "" {
		return nil, newErr("InvalidParameterException", "You must specify a SecretId.")
	}
	if len(id) > 2048 {
		return nil, newErr("ValidationException", "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	b := tx.Bucket(bucketSecrets)
	decode := func(v []byte) (*secret, error) {
		var sc secret
		if err := json.Unmarshal(v, &sc); err != nil {
			return nil, err
		}
		return &sc, nil
	}
	var found *secret
	if rest, ok := strings.CutPrefix(id, s.arnPrefix()); ok {
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sc, err := decode(v)
			if err != nil {
				return nil, err
			}
			if sc.ARN == id || sc.Name == rest {
				found = sc
				break
			}
		}
	} else if v := b.Get([]byte(id)); v != nil {
		sc, err := decode(v)
		if err != nil {
			return nil, err
		}
		found = sc
	}
	if found == nil {
		return nil, notFound()
	}
	if found.DeletionDate != nil && !s.cfg.Now().Before(*found.DeletionDate) {
		if err := b.Delete([]byte(found.Name)); err != nil {
			return nil, err
		}
		return nil, notFound()
	}
	return found, nil
}

func store(tx *bolt.Tx, sc *secret) error {
	v, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSecrets).Put([]byte(sc.Name), v)
}

// value checks a SecretString / SecretBinary pair: at most one, within the size limit.
func value(str *string, bin []byte, required bool) error {
	switch {
	case str != nil && bin != nil:
		return newErr("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	case str == nil && bin == nil:
		if required {
			return newErr("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
		}
	case str != nil && (len(*str) == 0 || len(*str) > maxValue):
		return newErr("ValidationException", "1 validation error detected: Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", maxValue)
	case bin != nil && (len(bin) == 0 || len(bin) > maxValue):
		return newErr("ValidationException", "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", maxValue)
	}
	return nil
}

func checkToken(tok string) error {
	if tok != "" && (len(tok) < 32 || len(tok) > 64) {
		return newErr("ValidationException", "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 64 and greater than or equal to 32")
	}
	return nil
}

func sameValue(v *version, str *string, bin []byte) bool {
	if str != nil {
		return v.String != nil && *v.String == *str
	}
	return v.String == nil && string(v.Binary) == string(bin)
}

// addVersion stores a new value under id with the given stages (AWSCURRENT by default). A
// version of the same id and value is an idempotent retry; another value under a used id is
// ResourceExistsException. Moving AWSCURRENT labels the former current version AWSPREVIOUS.
func (s *Service) addVersion(sc *secret, id string, str *string, bin []byte, stages []string) (*version, error) {
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	if old := sc.versionByID(id); old != nil {
		if !sameValue(old, str, bin) {
			return nil, newErr("ResourceExistsException", "A resource with the ID you requested already exists.")
		}
		return old, nil
	}
	for _, st := range stages {
		if st == "" || len(st) > 256 {
			return nil, newErr("ValidationException", "1 validation error detected: Value at 'versionStages' failed to satisfy constraint: Member must have length less than or equal to 256 and greater than or equal to 1")
		}
		prev := sc.versionByStage(st)
		if prev == nil {
			continue
		}
		prev.drop(st)
		if st == stageCurrent {
			if p := sc.versionByStage(stagePrev); p != nil {
				p.drop(stagePrev)
			}
			prev.Stages = append(prev.Stages, stagePrev)
		}
	}
	now := s.cfg.Now().UTC()
	sc.Versions = append(sc.Versions, version{ID: id, String: str, Binary: bin, Stages: append([]string{}, stages...), Created: now})
	// Versions without a label are deprecated: keep the last maxVersions of them at most.
	if len(sc.Versions) > maxVersions {
		kept := sc.Versions[:0]
		drop := len(sc.Versions) - maxVersions
		for _, v := range sc.Versions {
			if drop > 0 && len(v.Stages) == 0 {
				drop--
				continue
			}
			kept = append(kept, v)
		}
		sc.Versions = kept
	}
	sc.LastChanged = now
	return sc.versionByID(id), nil
}

func validateTags(tags []tag) error {
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return newErr("ValidationException", "1 validation error detected: Value at 'tags' failed to satisfy constraint: tag keys have 1 to 128 characters and values at most 256")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return newErr("InvalidParameterException", "Invalid tag key: the prefix aws: is reserved for AWS use.")
		}
	}
	return nil
}

func mergeTags(have, add []tag) ([]tag, error) {
	for _, t := range add {
		replaced := false
		for i := range have {
			if have[i].Key == t.Key {
				have[i].Value, replaced = t.Value, true
			}
		}
		if !replaced {
			have = append(have, t)
		}
	}
	if len(have) > maxTags {
		return nil, newErr("InvalidParameterException", "Number of tags exceeds the maximum of %d.", maxTags)
	}
	return have, nil
}

type createSecretInput struct {
	Name               string  `json:"Name"`
	ClientRequestToken string  `json:"ClientRequestToken"`
	Description        *string `json:"Description"`
	KmsKeyID           string  `json:"KmsKeyId"`
	SecretString       *string `json:"SecretString"`
	SecretBinary       []byte  `json:"SecretBinary"`
	Tags               []tag   `json:"Tags"`
	AddReplicaRegions  []any   `json:"AddReplicaRegions"`
}

// update runs f on the secret id names in one read-write transaction (which also purges an
// expired deletion) and answers what f returns; f says whether it changed the secret, which
// is then stored. With live, a secret marked for deletion is refused.
func (s *Service) update(id string, live bool, f func(*secret) (out any, changed bool, err error)) (any, error) {
	var out any
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		sc, err := s.load(tx, id)
		if err != nil {
			return err
		}
		if live && sc.DeletedDate != nil {
			return markedForDeletion()
		}
		var changed bool
		if out, changed, err = f(sc); err != nil || !changed {
			return err
		}
		return store(tx, sc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) createSecret(in *createSecretInput) (any, error) {
	if len(in.Name) > 512 || !nameRE.MatchString(in.Name) {
		return nil, newErr("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if in.Description != nil && len(*in.Description) > 2048 {
		return nil, newErr("ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if len(in.AddReplicaRegions) > 0 {
		return nil, newErr("InvalidRequestException", "The local provider does not replicate secrets to other Regions.")
	}
	if err := value(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.Tags) > maxTags {
		return nil, newErr("InvalidParameterException", "Number of tags exceeds the maximum of %d.", maxTags)
	}
	out := map[string]any{}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		old, err := s.load(tx, in.Name)
		var nf *awsproto.Error
		if err != nil && !(errors.As(err, &nf) && nf.Code == "ResourceNotFoundException") {
			return err
		}
		if old != nil {
			if old.DeletedDate != nil {
				return newErr("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
			}
			// A retry of the same request (same token, same value) answers as the first did.
			if v := old.versionByID(in.ClientRequestToken); in.ClientRequestToken != "" && v != nil && (in.SecretString != nil || in.SecretBinary != nil) && sameValue(v, in.SecretString, in.SecretBinary) {
				out["ARN"], out["Name"], out["VersionId"] = old.ARN, old.Name, v.ID
				return nil
			}
			return newErr("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
		}
		now := s.cfg.Now().UTC()
		sc := &secret{Name: in.Name, ARN: s.arnFor(in.Name), KmsKeyID: in.KmsKeyID, Tags: in.Tags, Created: now, LastChanged: now}
		if in.Description != nil {
			sc.Description = *in.Description
		}
		out["ARN"], out["Name"] = sc.ARN, sc.Name
		if in.SecretString != nil || in.SecretBinary != nil {
			id := in.ClientRequestToken
			if id == "" {
				id = uuid()
			}
			v, err := s.addVersion(sc, id, in.SecretString, in.SecretBinary, nil)
			if err != nil {
				return err
			}
			out["VersionId"] = v.ID
		}
		return store(tx, sc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type putSecretValueInput struct {
	SecretID           string   `json:"SecretId"`
	ClientRequestToken string   `json:"ClientRequestToken"`
	SecretString       *string  `json:"SecretString"`
	SecretBinary       []byte   `json:"SecretBinary"`
	VersionStages      []string `json:"VersionStages"`
}

func (s *Service) putSecretValue(in *putSecretValueInput) (any, error) {
	if err := value(in.SecretString, in.SecretBinary, true); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	return s.update(in.SecretID, true, func(sc *secret) (any, bool, error) {
		id := in.ClientRequestToken
		if id == "" {
			id = uuid()
		}
		v, err := s.addVersion(sc, id, in.SecretString, in.SecretBinary, in.VersionStages)
		if err != nil {
			return nil, false, err
		}
		return map[string]any{"ARN": sc.ARN, "Name": sc.Name, "VersionId": v.ID, "VersionStages": v.Stages}, true, nil
	})
}

type getSecretValueInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

func (s *Service) getSecretValue(in *getSecretValueInput) (any, error) {
	return s.update(in.SecretID, true, func(sc *secret) (any, bool, error) {
		var v *version
		switch {
		case in.VersionID != "":
			v = sc.versionByID(in.VersionID)
			if v != nil && in.VersionStage != "" && !v.has(in.VersionStage) {
				return nil, false, newErr("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
			}
			if v == nil {
				return nil, false, newErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", in.VersionID)
			}
		default:
			stage := in.VersionStage
			if stage == "" {
				stage = stageCurrent
			}
			if v = sc.versionByStage(stage); v == nil {
				return nil, false, newErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
			}
		}
		out := map[string]any{"ARN": sc.ARN, "Name": sc.Name, "VersionId": v.ID, "VersionStages": v.Stages, "CreatedDate": epoch(v.Created)}
		if v.String != nil {
			out["SecretString"] = *v.String
		} else {
			out["SecretBinary"] = v.Binary
		}
		return out, false, nil
	})
}

// describe is DescribeSecret's answer (and, with versionsKey "SecretVersionsToStages", a
// ListSecrets entry).
func describe(sc *secret, versionsKey string) map[string]any {
	out := map[string]any{"ARN": sc.ARN, "Name": sc.Name, "CreatedDate": epoch(sc.Created),
		"LastChangedDate": epoch(sc.LastChanged)}
	if sc.Description != "" {
		out["Description"] = sc.Description
	}
	if sc.KmsKeyID != "" {
		out["KmsKeyId"] = sc.KmsKeyID
	}
	if len(sc.Tags) > 0 {
		out["Tags"] = sc.Tags
	}
	if m := sc.stagesMap(); m != nil {
		out[versionsKey] = m
	}
	if sc.DeletedDate != nil {
		out["DeletedDate"] = epoch(*sc.DeletedDate)
	}
	return out
}

type describeSecretInput struct {
	SecretID string `json:"SecretId"`
}

func (s *Service) describeSecret(in *describeSecretInput) (any, error) {
	return s.update(in.SecretID, false, func(sc *secret) (any, bool, error) {
		return describe(sc, "VersionIdsToStages"), false, nil
	})
}

type filter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

var filterValueRE = lazyregexp.New(`^!?[a-zA-Z0-9 :_@/+=.\-!]*$`)

// matches applies ListSecrets' filters: every filter must match; a filter matches when any
// of its values does (a prefix match; "!" negates; description and all ignore case).
func matches(sc *secret, filters []filter) bool {
	for _, f := range filters {
		any := false
		for _, raw := range f.Values {
			neg := strings.HasPrefix(raw, "!")
			val := strings.TrimPrefix(raw, "!")
			hit := false
			prefix := func(s string, fold bool) bool {
				if fold {
					return strings.HasPrefix(strings.ToLower(s), strings.ToLower(val))
				}
				return strings.HasPrefix(s, val)
			}
			switch f.Key {
			case "name":
				hit = prefix(sc.Name, false)
			case "description":
				hit = prefix(sc.Description, true)
			case "tag-key":
				for _, t := range sc.Tags {
					hit = hit || prefix(t.Key, false)
				}
			case "tag-value":
				for _, t := range sc.Tags {
					hit = hit || prefix(t.Value, false)
				}
			case "primary-region":
				hit = false
			case "owning-service":
				hit = false
			case "all":
				words := []string{sc.Name, sc.Description}
				for _, t := range sc.Tags {
					words = append(words, t.Key, t.Value)
				}
				for _, w := range words {
					hit = hit || strings.Contains(strings.ToLower(w), strings.ToLower(val))
				}
			}
			if hit != neg {
				any = true
			}
		}
		if !any {
			return false
		}
	}
	return true
}

type listSecretsInput struct {
	IncludePlannedDeletion bool     `json:"IncludePlannedDeletion"`
	MaxResults             *int     `json:"MaxResults"`
	NextToken              *string  `json:"NextToken"`
	Filters                []filter `json:"Filters"`
	SortOrder              string   `json:"SortOrder"`
	SortBy                 string   `json:"SortBy"`
}

func (s *Service) listSecrets(in *listSecretsInput) (any, error) {
	max := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, newErr("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100 and greater than or equal to 1", *in.MaxResults)
		}
		max = *in.MaxResults
	}
	for _, f := range in.Filters {
		switch f.Key {
		case "description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all":
		default:
			return nil, newErr("ValidationException", "1 validation error detected: Value '%s' at 'filters.key' failed to satisfy enum value set: [all, name, tag-key, description, tag-value, primary-region, owning-service]", f.Key)
		}
		for _, v := range f.Values {
			if len(v) > 512 || !filterValueRE.MatchString(v) {
				return nil, newErr("ValidationException", "1 validation error detected: Value '%s' at 'filters.values' failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$", v)
			}
		}
	}
	switch in.SortOrder {
	case "", "asc", "desc":
	default:
		return nil, newErr("ValidationException", "1 validation error detected: Value '%s' at 'sortOrder' failed to satisfy enum value set: [asc, desc]", in.SortOrder)
	}
	switch in.SortBy {
	case "", "created-date", "last-accessed-date", "last-changed-date", "name":
	default:
		return nil, newErr("ValidationException", "1 validation error detected: Value '%s' at 'sortBy' failed to satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]", in.SortBy)
	}
	var all []*secret
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSecrets).ForEach(func(_, v []byte) error {
			var sc secret
			if err := json.Unmarshal(v, &sc); err != nil {
				return err
			}
			if sc.DeletionDate != nil && !s.cfg.Now().Before(*sc.DeletionDate) {
				return nil // gone; purged on its next load
			}
			if sc.DeletedDate != nil && !in.IncludePlannedDeletion {
				return nil
			}
			if matches(&sc, in.Filters) {
				all = append(all, &sc)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// A stable order (the sort key, then the name) that the page token can resume from.
	key := func(sc *secret) string {
		switch in.SortBy {
		case "name":
			return sc.Name
		case "last-changed-date", "last-accessed-date":
			return sc.LastChanged.UTC().Format(time.RFC3339Nano) + "\x00" + sc.Name
		}
		return sc.Created.UTC().Format(time.RFC3339Nano) + "\x00" + sc.Name
	}
	desc := in.SortOrder == "desc" || (in.SortOrder == "" && in.SortBy != "name")
	sort.Slice(all, func(i, j int) bool {
		if desc {
			return key(all[i]) > key(all[j])
		}
		return key(all[i]) < key(all[j])
	})
	start := 0
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || len(b) == 0 {
			return nil, newErr("InvalidNextTokenException", "The NextToken value is invalid.")
		}
		after := string(b)
		start = len(all)
		for i, sc := range all {
			if (desc && key(sc) < after) || (!desc && key(sc) > after) {
				start = i
				break
			}
		}
	}
	end := min(start+max, len(all))
	list := make([]map[string]any, 0, end-start)
	for _, sc := range all[start:end] {
		list = append(list, describe(sc, "SecretVersionsToStages"))
	}
	out := map[string]any{"SecretList": list}
	if end < len(all) {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(key(all[end-1])))
	}
	return out, nil
}

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	RecoveryWindowInDays       *int64 `json:"RecoveryWindowInDays"`
	ForceDeleteWithoutRecovery *bool  `json:"ForceDeleteWithoutRecovery"`
}

func (s *Service) deleteSecret(in *deleteSecretInput) (any, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, newErr("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(30)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, newErr("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	var out map[string]any
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		sc, err := s.load(tx, in.SecretID)
		now := s.cfg.Now().UTC()
		var ae *awsproto.Error
		if force && errors.As(err, &ae) && ae.Code == "ResourceNotFoundException" {
			// AWS answers a forced deletion of a secret that does not exist with success.
			name, _ := strings.CutPrefix(in.SecretID, s.arnPrefix())
			out = map[string]any{"ARN": s.arnFor(name), "Name": name, "DeletionDate": epoch(now)}
			return nil
		}
		if err != nil {
			return err
		}
		if force {
			out = map[string]any{"ARN": sc.ARN, "Name": sc.Name, "DeletionDate": epoch(now)}
			return tx.Bucket(bucketSecrets).Delete([]byte(sc.Name))
		}
		if sc.DeletedDate != nil {
			return markedForDeletion()
		}
		when := now.Add(time.Duration(days) * 24 * time.Hour)
		sc.DeletedDate, sc.DeletionDate = &now, &when
		out = map[string]any{"ARN": sc.ARN, "Name": sc.Name, "DeletionDate": epoch(when)}
		return store(tx, sc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type restoreSecretInput struct {
	SecretID string `json:"SecretId"`
}

func (s *Service) restoreSecret(in *restoreSecretInput) (any, error) {
	return s.update(in.SecretID, false, func(sc *secret) (any, bool, error) {
		sc.DeletedDate, sc.DeletionDate = nil, nil
		return map[string]any{"ARN": sc.ARN, "Name": sc.Name}, true, nil
	})
}

type tagResourceInput struct {
	SecretID string `json:"SecretId"`
	Tags     []tag  `json:"Tags"`
}

func (s *Service) tagResource(in *tagResourceInput) (any, error) {
	if in.Tags == nil {
		return nil, newErr("ValidationException", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	return s.update(in.SecretID, true, func(sc *secret) (any, bool, error) {
		var err error
		sc.Tags, err = mergeTags(sc.Tags, in.Tags)
		return struct{}{}, err == nil, err
	})
}

type untagResourceInput struct {
	SecretID string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

func (s *Service) untagResource(in *untagResourceInput) (any, error) {
	if in.TagKeys == nil {
		return nil, newErr("ValidationException", "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
	}
	return s.update(in.SecretID, true, func(sc *secret) (any, bool, error) {
		drop := map[string]bool{}
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		kept := sc.Tags[:0]
		for _, t := range sc.Tags {
			if !drop[t.Key] {
				kept = append(kept, t)
			}
		}
		sc.Tags = kept
		return struct{}{}, true, nil
	})
}

// PutManaged stores value as the current version of secret name, creating the secret when
// there is none (or one scheduled for deletion), and returns its ARN: for the services that
// keep their secrets in Secrets Manager as AWS's do (AgentCore Identity's API keys and client
// secrets, under bedrock-agentcore-identity!...). The name is not checked against the API's
// rule: AWS's own names have a character ("!") the API refuses to its users.
func (s *Service) PutManaged(name, value string) (string, error) {
	var arn string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		sc, err := s.load(tx, name)
		if awsproto.CodeOf(err) == "ResourceNotFoundException" {
			now := s.cfg.Now().UTC()
			sc, err = &secret{Name: name, ARN: s.arnFor(name), Created: now, LastChanged: now}, nil
		}
		if err != nil {
			return err
		}
		sc.DeletedDate, sc.DeletionDate = nil, nil
		if cur := sc.versionByStage(stageCurrent); cur == nil || !sameValue(cur, &value, nil) {
			if _, err := s.addVersion(sc, uuid(), &value, nil, nil); err != nil {
				return err
			}
		}
		arn = sc.ARN
		return store(tx, sc)
	})
	return arn, err
}

// ManagedValue returns the current string value of the secret id (a name or an ARN).
func (s *Service) ManagedValue(id string) (string, error) {
	var out string
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		sc, err := s.load(tx, id)
		if err != nil {
			return err
		}
		v := sc.versionByStage(stageCurrent)
		if sc.DeletedDate != nil || v == nil || v.String == nil {
			return notFound()
		}
		out = *v.String
		return nil
	})
	return out, err
}

// DeleteManaged removes the secret id at once, without a recovery window; a secret that does
// not exist is no error.
func (s *Service) DeleteManaged(id string) error {
	return s.cfg.DB.Update(func(tx *bolt.Tx) error {
		sc, err := s.load(tx, id)
		if awsproto.CodeOf(err) == "ResourceNotFoundException" {
			return nil
		}
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSecrets).Delete([]byte(sc.Name))
	})
}
