package ssm

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	maxVersions       = 100 // SSM keeps the last 100 versions of a parameter
	maxHierarchyDepth = 15
	standardMaxValue  = 4096
	advancedMaxValue  = 8192
	defaultKeyID      = "alias/aws/ssm"
)

// Tag is an SSM resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// version is one stored value of a parameter.
type version struct {
	Version          int64     `json:"version"`
	Value            string    `json:"value"`
	Type             string    `json:"type"`
	Description      string    `json:"description,omitempty"`
	AllowedPattern   string    `json:"allowedPattern,omitempty"`
	KeyID            string    `json:"keyId,omitempty"`
	Tier             string    `json:"tier"`
	DataType         string    `json:"dataType"`
	LastModifiedDate time.Time `json:"lastModifiedDate"`
}

// param is the stored record of a parameter: its kept versions, oldest first, and its tags.
type param struct {
	Name     string    `json:"name"`
	Tags     []Tag     `json:"tags,omitempty"`
	Versions []version `json:"versions"`
}

func (p *param) latest() version { return p.Versions[len(p.Versions)-1] }

func (p *param) version(n int64) (version, bool) {
	for _, v := range p.Versions {
		if v.Version == n {
			return v, true
		}
	}
	return version{}, false
}

var nameChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// validateName applies Parameter Store's naming rules to a name being created.
func validateName(name string) error {
	if name == "" || len(name) > 2048 {
		return validation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048 and greater than or equal to 1")
	}
	if !nameChars.MatchString(name) {
		return validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_")
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return validation("Parameter name must be a fully qualified name.")
	}
	if strings.Contains(name, "//") || (len(name) > 1 && strings.HasSuffix(name, "/")) {
		return validation("Parameter name must be a fully qualified name.")
	}
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	if strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return validation("Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).")
	}
	if strings.Count(name, "/") > maxHierarchyDepth {
		return newErr("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyDepth)
	}
	return nil
}

func (s *Service) arn(name string) string {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return "arn:aws:ssm:" + s.region + ":" + s.account + ":parameter" + name
}

func (s *Service) user() string { return "arn:aws:iam::" + s.account + ":user/local" }

// nameCandidates maps a name or parameter ARN to the stored names it may mean.
func (s *Service) nameCandidates(name string) []string {
	prefix := "arn:aws:ssm:" + s.region + ":" + s.account + ":parameter/"
	if rest, ok := strings.CutPrefix(name, prefix); ok {
		return []string{"/" + rest, rest}
	}
	return []string{name}
}

func (s *Service) load(tx *bolt.Tx, name string) (*param, bool, error) {
	for _, n := range s.nameCandidates(name) {
		v := tx.Bucket(bucketParams).Get([]byte(n))
		if v == nil {
			continue
		}
		var p param
		if err := json.Unmarshal(v, &p); err != nil {
			return nil, false, err
		}
		return &p, true, nil
	}
	return nil, false, nil
}

func store(tx *bolt.Tx, p *param) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketParams).Put([]byte(p.Name), v)
}

func notFound(name string) error {
	return newErr("ParameterNotFound", "Parameter %s not found.", name)
}

// ciphertext stands in for the KMS-encrypted value SSM returns without WithDecryption.
func ciphertext(p *param, v version) string {
	sum := sha256.Sum256([]byte(p.Name + "\x00" + strconv.FormatInt(v.Version, 10) + "\x00" + v.Value))
	return "AQICAHh" + base64.StdEncoding.EncodeToString(append([]byte("agentcore-local:"), sum[:]...))
}

func valueFor(p *param, v version, decrypt bool) string {
	if v.Type == "SecureString" && !decrypt {
		return ciphertext(p, v)
	}
	return v.Value
}

// ---- PutParameter ----

func (s *Service) putParameter(req *http.Request) (any, error) {
	var in struct {
		Name           string  `json:"Name"`
		Description    *string `json:"Description"`
		Value          *string `json:"Value"`
		Type           string  `json:"Type"`
		KeyID          string  `json:"KeyId"`
		Overwrite      bool    `json:"Overwrite"`
		AllowedPattern *string `json:"AllowedPattern"`
		Tags           []Tag   `json:"Tags"`
		Tier           string  `json:"Tier"`
		Policies       string  `json:"Policies"`
		DataType       string  `json:"DataType"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := validateName(in.Name); err != nil {
		return nil, err
	}
	if in.Value == nil || *in.Value == "" {
		return nil, validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return nil, validation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	switch in.Type {
	case "", "String", "StringList", "SecureString":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", "Standard", "Advanced", "Intelligent-Tiering":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", in.Tier)
	}
	if in.Description != nil && len(*in.Description) > 1024 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	switch in.DataType {
	case "", "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return nil, validation("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.Policies != "" {
		return nil, newErr("InvalidPolicyTypeException", "Parameter policies are not supported by the local provider")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}

	var out version
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, exists, err := s.load(tx, in.Name)
		if err != nil {
			return err
		}
		if exists && !in.Overwrite {
			return newErr("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		v := version{Value: *in.Value, Type: in.Type, KeyID: in.KeyID, DataType: in.DataType, LastModifiedDate: s.now().UTC().Truncate(time.Millisecond)}
		if in.Description != nil {
			v.Description = *in.Description
		}
		if in.AllowedPattern != nil {
			v.AllowedPattern = *in.AllowedPattern
		}
		var prevTier string
		if exists {
			prev := p.latest()
			prevTier = prev.Tier
			if v.Type == "" {
				v.Type = prev.Type
			}
			// Settings the request leaves out carry over from the previous version.
			if in.Description == nil {
				v.Description = prev.Description
			}
			if in.AllowedPattern == nil {
				v.AllowedPattern = prev.AllowedPattern
			}
			if v.KeyID == "" && v.Type == prev.Type {
				v.KeyID = prev.KeyID
			}
			if v.DataType == "" {
				v.DataType = prev.DataType
			}
			v.Version = prev.Version + 1
		} else {
			if v.Type == "" {
				return validation("A parameter type is required when you create a parameter.")
			}
			p = &param{Name: in.Name, Tags: in.Tags}
			v.Version = 1
		}
		if v.DataType == "" {
			v.DataType = "text"
		}
		if v.Type == "SecureString" {
			if v.KeyID == "" {
				v.KeyID = defaultKeyID
			}
		} else {
			if in.KeyID != "" {
				return validation("KeyId is required for SecureString type parameter only.")
			}
			v.KeyID = ""
		}
		if v.AllowedPattern != "" {
			if len(v.AllowedPattern) > 1024 {
				return newErr("InvalidAllowedPatternException", "The allowed pattern is longer than 1024 characters.")
			}
			re, err := regexp.Compile(v.AllowedPattern)
			if err != nil {
				return newErr("InvalidAllowedPatternException", "The allowed pattern is not a valid regular expression: %v", err)
			}
			if loc := re.FindStringIndex(v.Value); loc == nil || loc[0] != 0 || loc[1] != len(v.Value) {
				return newErr("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
			}
		}
		tier, err := chooseTier(in.Tier, prevTier, len(v.Value))
		if err != nil {
			return err
		}
		v.Tier = tier
		p.Versions = append(p.Versions, v)
		if len(p.Versions) > maxVersions {
			p.Versions = p.Versions[len(p.Versions)-maxVersions:]
		}
		out = v
		return store(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Version": out.Version, "Tier": out.Tier}, nil
}

// chooseTier resolves the requested tier against the previous one and the value's size.
func chooseTier(requested, previous string, size int) (string, error) {
	tier := requested
	switch requested {
	case "":
		tier = "Standard"
		if previous == "Advanced" {
			tier = "Advanced" // an advanced parameter stays advanced
		}
	case "Intelligent-Tiering":
		tier = "Standard"
		if size > standardMaxValue || previous == "Advanced" {
			tier = "Advanced"
		}
	case "Standard":
		if previous == "Advanced" {
			return "", validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
	}
	if tier == "Standard" && size > standardMaxValue {
		return "", validation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html", standardMaxValue)
	}
	if size > advancedMaxValue {
		return "", validation("Advanced tier parameters support a maximum parameter value of %d characters.", advancedMaxValue)
	}
	return tier, nil
}

func validateTags(tags []Tag) error {
	if len(tags) > 50 {
		return validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 1000")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return validation("1 validation error detected: tag keys must be 1 to 128 characters and values at most 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return validation("Tag keys beginning with aws: are reserved for use by AWS")
		}
	}
	return nil
}

// ---- reading ----

type parameterOut struct {
	Name             string `json:"Name"`
	Type             string `json:"Type"`
	Value            string `json:"Value"`
	Version          int64  `json:"Version"`
	Selector         string `json:"Selector,omitempty"`
	LastModifiedDate epoch  `json:"LastModifiedDate"`
	ARN              string `json:"ARN"`
	DataType         string `json:"DataType"`
}

func (s *Service) parameterOut(p *param, v version, decrypt bool, selector string) parameterOut {
	return parameterOut{
		Name:             p.Name,
		Type:             v.Type,
		Value:            valueFor(p, v, decrypt),
		Version:          v.Version,
		Selector:         selector,
		LastModifiedDate: epoch(v.LastModifiedDate),
		ARN:              s.arn(p.Name),
		DataType:         v.DataType,
	}
}

// resolve reads "name", "name:version" or "name:label" (and the same with an ARN).
func (s *Service) resolve(tx *bolt.Tx, ref string, decrypt bool) (parameterOut, error) {
	name, selector := ref, ""
	start := 0 // a selector's colon comes after an ARN's own colons
	if strings.HasPrefix(ref, "arn:") {
		if j := strings.Index(ref, ":parameter/"); j >= 0 {
			start = j + len(":parameter/")
		}
	}
	if i := strings.LastIndex(ref, ":"); i >= start {
		name, selector = ref[:i], ref[i:]
	}
	p, ok, err := s.load(tx, name)
	if err != nil {
		return parameterOut{}, err
	}
	if !ok {
		return parameterOut{}, notFound(name)
	}
	if selector == "" {
		return s.parameterOut(p, p.latest(), decrypt, ""), nil
	}
	n, err := strconv.ParseInt(selector[1:], 10, 64)
	if err != nil {
		// A label: the local provider does not support labels, so none matches.
		return parameterOut{}, newErr("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", selector[1:], name)
	}
	v, ok := p.version(n)
	if !ok {
		return parameterOut{}, newErr("ParameterVersionNotFound", "Systems Manager could not find version %d of %s. Verify the version and try again.", n, name)
	}
	return s.parameterOut(p, v, decrypt, selector), nil
}

func (s *Service) getParameter(req *http.Request) (any, error) {
	var in struct {
		Name           string `json:"Name"`
		WithDecryption bool   `json:"WithDecryption"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if in.Name == "" || len(in.Name) > 2048 {
		return nil, validation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048 and greater than or equal to 1")
	}
	var out parameterOut
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = s.resolve(tx, in.Name, in.WithDecryption)
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Parameter": out}, nil
}

func checkNames(names []string) error {
	if len(names) < 1 || len(names) > 10 {
		return validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1")
	}
	return nil
}

func (s *Service) getParameters(req *http.Request) (any, error) {
	var in struct {
		Names          []string `json:"Names"`
		WithDecryption bool     `json:"WithDecryption"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	params := []parameterOut{}
	invalid := []string{}
	seen := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, n := range in.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			out, err := s.resolve(tx, n, in.WithDecryption)
			var ae *apiError
			if errors.As(err, &ae) {
				invalid = append(invalid, n)
				continue
			}
			if err != nil {
				return err
			}
			params = append(params, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Parameters": params, "InvalidParameters": invalid}, nil
}

func (s *Service) getParametersByPath(req *http.Request) (any, error) {
	var in struct {
		Path             string         `json:"Path"`
		Recursive        bool           `json:"Recursive"`
		ParameterFilters []stringFilter `json:"ParameterFilters"`
		WithDecryption   bool           `json:"WithDecryption"`
		MaxResults       *int           `json:"MaxResults"`
		NextToken        *string        `json:"NextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	path := in.Path
	if !strings.HasPrefix(path, "/") || len(path) > 2048 || !nameChars.MatchString(path) || strings.Contains(path, "//") {
		return nil, validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
	}
	if strings.Count(strings.TrimSuffix(path, "/"), "/") > maxHierarchyDepth {
		return nil, newErr("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxHierarchyDepth)
	}
	limit := 10
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 10 {
			return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10", *in.MaxResults)
		}
		limit = *in.MaxResults
	}
	for _, f := range in.ParameterFilters {
		switch {
		case f.Key == "Type", f.Key == "KeyId", f.Key == "Label", strings.HasPrefix(f.Key, "tag:"):
		default:
			return nil, newErr("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: [Type, KeyId, Label, tag:].", f.Key)
		}
	}
	match, err := compileFilters(in.ParameterFilters)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	out := []parameterOut{}
	var next string
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketParams).Cursor()
		k, v := c.Seek([]byte(prefix))
		if prefix == "/" {
			k, v = c.First() // names without a leading slash sit at the root too
		}
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if prefix != "/" && !strings.HasPrefix(string(k), prefix) {
				break // keys are sorted: past the hierarchy
			}
			if !underPath(string(k), path, in.Recursive) {
				continue
			}
			var p param
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if !match(&p) {
				continue
			}
			if len(out) == limit {
				next = pageToken(out[len(out)-1].Name)
				return nil
			}
			out = append(out, s.parameterOut(&p, p.latest(), in.WithDecryption, ""))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := map[string]any{"Parameters": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

// underPath reports whether a parameter lies in the hierarchy path: directly below it, or
// anywhere below it when recursive. A name without a leading slash is at the root.
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	if prefix == "/" {
		name = strings.TrimPrefix(name, "/")
		return recursive || !strings.Contains(name, "/")
	}
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && (recursive || !strings.Contains(rest, "/"))
}

// ---- deleting ----

func (s *Service) deleteParameter(req *http.Request) (any, error) {
	var in struct {
		Name string `json:"Name"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, ok, err := s.load(tx, in.Name)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(in.Name)
		}
		return tx.Bucket(bucketParams).Delete([]byte(p.Name))
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) deleteParameters(req *http.Request) (any, error) {
	var in struct {
		Names []string `json:"Names"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	deleted, invalid := []string{}, []string{}
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, n := range in.Names {
			p, ok, err := s.load(tx, n)
			if err != nil {
				return err
			}
			if !ok {
				invalid = append(invalid, n)
				continue
			}
			if err := tx.Bucket(bucketParams).Delete([]byte(p.Name)); err != nil {
				return err
			}
			deleted = append(deleted, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"DeletedParameters": deleted, "InvalidParameters": invalid}, nil
}

// ---- history and metadata ----

type historyOut struct {
	Name             string   `json:"Name"`
	Type             string   `json:"Type"`
	KeyID            string   `json:"KeyId,omitempty"`
	LastModifiedDate epoch    `json:"LastModifiedDate"`
	LastModifiedUser string   `json:"LastModifiedUser"`
	Description      string   `json:"Description,omitempty"`
	Value            string   `json:"Value"`
	AllowedPattern   string   `json:"AllowedPattern,omitempty"`
	Version          int64    `json:"Version"`
	Labels           []string `json:"Labels"`
	Tier             string   `json:"Tier"`
	Policies         []any    `json:"Policies"`
	DataType         string   `json:"DataType"`
}

func checkMaxResults50(m *int) (int, error) {
	if m == nil {
		return 50, nil
	}
	if *m < 1 || *m > 50 {
		return 0, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50", *m)
	}
	return *m, nil
}

func (s *Service) getParameterHistory(req *http.Request) (any, error) {
	var in struct {
		Name           string  `json:"Name"`
		WithDecryption bool    `json:"WithDecryption"`
		MaxResults     *int    `json:"MaxResults"`
		NextToken      *string `json:"NextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	limit, err := checkMaxResults50(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var afterVersion int64
	if after != "" {
		if afterVersion, err = strconv.ParseInt(after, 10, 64); err != nil {
			return nil, newErr("InvalidNextToken", "The specified token isn't valid.")
		}
	}
	out := []historyOut{}
	next := ""
	err = s.db.View(func(tx *bolt.Tx) error {
		p, ok, err := s.load(tx, in.Name)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(in.Name)
		}
		for _, v := range p.Versions {
			if v.Version <= afterVersion {
				continue
			}
			if len(out) == limit {
				next = pageToken(strconv.FormatInt(out[len(out)-1].Version, 10))
				break
			}
			out = append(out, historyOut{
				Name: p.Name, Type: v.Type, KeyID: v.KeyID, LastModifiedDate: epoch(v.LastModifiedDate),
				LastModifiedUser: s.user(), Description: v.Description, Value: valueFor(p, v, in.WithDecryption),
				AllowedPattern: v.AllowedPattern, Version: v.Version, Labels: []string{}, Tier: v.Tier,
				Policies: []any{}, DataType: v.DataType,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := map[string]any{"Parameters": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

type metadataOut struct {
	Name             string `json:"Name"`
	ARN              string `json:"ARN"`
	Type             string `json:"Type"`
	KeyID            string `json:"KeyId,omitempty"`
	LastModifiedDate epoch  `json:"LastModifiedDate"`
	LastModifiedUser string `json:"LastModifiedUser"`
	Description      string `json:"Description,omitempty"`
	AllowedPattern   string `json:"AllowedPattern,omitempty"`
	Version          int64  `json:"Version"`
	Tier             string `json:"Tier"`
	Policies         []any  `json:"Policies"`
	DataType         string `json:"DataType"`
}

// stringFilter is SSM's ParameterStringFilter.
type stringFilter struct {
	Key    string   `json:"Key"`
	Option string   `json:"Option"`
	Values []string `json:"Values"`
}

// compileFilters turns ParameterFilters into a predicate (all filters must match).
func compileFilters(filters []stringFilter) (func(*param) bool, error) {
	var preds []func(*param) bool
	for _, f := range filters {
		f := f
		anyOf := func(get func(*param) string, eq func(a, b string) bool) func(*param) bool {
			return func(p *param) bool {
				for _, want := range f.Values {
					if eq(get(p), want) {
						return true
					}
				}
				return false
			}
		}
		equals := func(a, b string) bool { return a == b }
		badOption := newErr("InvalidFilterOption", "The filter option is not valid. Valid options are Equals and BeginsWith. For Path filter, valid options are Recursive and OneLevel.")
		switch {
		case f.Key == "Name":
			var eq func(a, b string) bool
			switch f.Option {
			case "", "Equals":
				eq = func(a, b string) bool { return strings.TrimPrefix(a, "/") == strings.TrimPrefix(b, "/") }
			case "BeginsWith":
				eq = func(a, b string) bool {
					return strings.HasPrefix(a, b) || (!strings.HasPrefix(b, "/") && strings.HasPrefix(strings.TrimPrefix(a, "/"), b))
				}
			case "Contains":
				eq = strings.Contains
			default:
				return nil, badOption
			}
			preds = append(preds, anyOf(func(p *param) string { return p.Name }, eq))
		case f.Key == "Path":
			recursive := false
			switch f.Option {
			case "", "OneLevel":
			case "Recursive":
				recursive = true
			default:
				return nil, badOption
			}
			preds = append(preds, anyOf(func(p *param) string { return p.Name }, func(name, path string) bool {
				return underPath(name, path, recursive)
			}))
		case f.Key == "Type", f.Key == "KeyId", f.Key == "Tier", f.Key == "DataType":
			if f.Option != "" && f.Option != "Equals" {
				return nil, badOption
			}
			get := map[string]func(*param) string{
				"Type":     func(p *param) string { return p.latest().Type },
				"KeyId":    func(p *param) string { return p.latest().KeyID },
				"Tier":     func(p *param) string { return p.latest().Tier },
				"DataType": func(p *param) string { return p.latest().DataType },
			}[f.Key]
			preds = append(preds, anyOf(get, equals))
		case f.Key == "Label":
			preds = append(preds, func(*param) bool { return false }) // no labels locally
		case strings.HasPrefix(f.Key, "tag:"):
			key := strings.TrimPrefix(f.Key, "tag:")
			preds = append(preds, func(p *param) bool {
				for _, t := range p.Tags {
					if t.Key != key {
						continue
					}
					if len(f.Values) == 0 {
						return true
					}
					for _, want := range f.Values {
						if t.Value == want {
							return true
						}
					}
				}
				return false
			})
		default:
			return nil, newErr("InvalidFilterKey", "The following filter key is not valid: %s", f.Key)
		}
	}
	return func(p *param) bool {
		for _, pred := range preds {
			if !pred(p) {
				return false
			}
		}
		return true
	}, nil
}

func (s *Service) describeParameters(req *http.Request) (any, error) {
	var in struct {
		Filters []struct {
			Key    string   `json:"Key"`
			Values []string `json:"Values"`
		} `json:"Filters"`
		ParameterFilters []stringFilter `json:"ParameterFilters"`
		MaxResults       *int           `json:"MaxResults"`
		NextToken        *string        `json:"NextToken"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, validation("You can use either Filters or ParameterFilters in a single request.")
	}
	filters := in.ParameterFilters
	for _, f := range in.Filters {
		switch f.Key {
		case "Name":
			filters = append(filters, stringFilter{Key: f.Key, Option: "BeginsWith", Values: f.Values})
		case "Type", "KeyId":
			filters = append(filters, stringFilter{Key: f.Key, Option: "Equals", Values: f.Values})
		default:
			return nil, newErr("InvalidFilterKey", "The following filter key is not valid: %s", f.Key)
		}
	}
	match, err := compileFilters(filters)
	if err != nil {
		return nil, err
	}
	limit, err := checkMaxResults50(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := parsePageToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := []metadataOut{}
	next := ""
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketParams).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek([]byte(after))
			if k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			var p param
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if !match(&p) {
				continue
			}
			if len(out) == limit {
				next = pageToken(out[len(out)-1].Name)
				return nil
			}
			l := p.latest()
			out = append(out, metadataOut{
				Name: p.Name, ARN: s.arn(p.Name), Type: l.Type, KeyID: l.KeyID,
				LastModifiedDate: epoch(l.LastModifiedDate), LastModifiedUser: s.user(),
				Description: l.Description, AllowedPattern: l.AllowedPattern, Version: l.Version,
				Tier: l.Tier, Policies: []any{}, DataType: l.DataType,
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := map[string]any{"Parameters": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

// ---- tags ----

func (s *Service) tagTarget(resourceType, id string) error {
	if resourceType != "Parameter" {
		return newErr("InvalidResourceType", "The resource type %q is not supported by the local provider; only Parameter is.", resourceType)
	}
	if id == "" {
		return newErr("InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct ID and try again.")
	}
	return nil
}

func (s *Service) addTagsToResource(req *http.Request) (any, error) {
	var in struct {
		ResourceType string `json:"ResourceType"`
		ResourceID   string `json:"ResourceId"`
		Tags         []Tag  `json:"Tags"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := s.tagTarget(in.ResourceType, in.ResourceID); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, ok, err := s.load(tx, in.ResourceID)
		if err != nil {
			return err
		}
		if !ok {
			return newErr("InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct ID and try again.")
		}
		for _, t := range in.Tags {
			replaced := false
			for i := range p.Tags {
				if p.Tags[i].Key == t.Key {
					p.Tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				p.Tags = append(p.Tags, t)
			}
		}
		if len(p.Tags) > 50 {
			return newErr("TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the command again.")
		}
		return store(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Service) listTagsForResource(req *http.Request) (any, error) {
	var in struct {
		ResourceType string `json:"ResourceType"`
		ResourceID   string `json:"ResourceId"`
	}
	if err := decode(req, &in); err != nil {
		return nil, err
	}
	if err := s.tagTarget(in.ResourceType, in.ResourceID); err != nil {
		return nil, err
	}
	tags := []Tag{}
	err := s.db.View(func(tx *bolt.Tx) error {
		p, ok, err := s.load(tx, in.ResourceID)
		if err != nil {
			return err
		}
		if !ok {
			return newErr("InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct ID and try again.")
		}
		tags = append(tags, p.Tags...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"TagList": tags}, nil
}
