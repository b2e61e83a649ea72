package ssm

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Reading: GetParameter, GetParameters, GetParametersByPath, GetParameterHistory and
// DescribeParameters with its filters.

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

type getParameterInput struct {
	Name           string `json:"Name"`
	WithDecryption bool   `json:"WithDecryption"`
}

func (s *Service) getParameter(in *getParameterInput) (any, error) {
	if in.Name == "" || len(in.Name) > 2048 {
		return nil, validation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048 and greater than or equal to 1")
	}
	var out parameterOut
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
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

type getParametersInput struct {
	Names          []string `json:"Names"`
	WithDecryption bool     `json:"WithDecryption"`
}

func (s *Service) getParameters(in *getParametersInput) (any, error) {
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	params := []parameterOut{}
	invalid := []string{}
	seen := map[string]bool{}
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
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

type getParametersByPathInput struct {
	Path             string         `json:"Path"`
	Recursive        bool           `json:"Recursive"`
	ParameterFilters []stringFilter `json:"ParameterFilters"`
	WithDecryption   bool           `json:"WithDecryption"`
	MaxResults       *int           `json:"MaxResults"`
	NextToken        *string        `json:"NextToken"`
}

func (s *Service) getParametersByPath(in *getParametersByPathInput) (any, error) {
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
	start := func(c *bolt.Cursor) ([]byte, []byte) {
		switch {
		case after != "":
			return awsproto.SeekAfter(c, after)
		case prefix == "/":
			return c.First() // names without a leading slash sit at the root too
		}
		return c.Seek([]byte(prefix))
	}
	keep := func(name string) (ok, stop bool) {
		if prefix != "/" && !strings.HasPrefix(name, prefix) {
			return false, true // keys are sorted: past the hierarchy
		}
		return underPath(name, path, in.Recursive), false
	}
	params, next, err := s.page(start, limit, keep, match)
	if err != nil {
		return nil, err
	}
	out := []parameterOut{}
	for _, p := range params {
		out = append(out, s.parameterOut(p, p.latest(), in.WithDecryption, ""))
	}
	resp := map[string]any{"Parameters": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

// page walks the parameters in name order from where start puts the cursor and returns at
// most limit of those keep and match accept, with the NextToken of the rest ("" when none
// follow). keep (nil: every name) sees a name alone, stop meaning no later name can be
// kept; match sees the decoded parameter.
func (s *Service) page(start func(*bolt.Cursor) ([]byte, []byte), limit int, keep func(name string) (ok, stop bool), match func(*param) bool) ([]*param, string, error) {
	var out []*param
	next := ""
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketParams).Cursor()
		for k, v := start(c); k != nil; k, v = c.Next() {
			if keep != nil {
				ok, stop := keep(string(k))
				if stop {
					break
				}
				if !ok {
					continue
				}
			}
			p := new(param)
			if err := json.Unmarshal(v, p); err != nil {
				return err
			}
			if !match(p) {
				continue
			}
			if len(out) == limit {
				next = pageToken(out[len(out)-1].Name)
				return nil
			}
			out = append(out, p)
		}
		return nil
	})
	return out, next, err
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

type getParameterHistoryInput struct {
	Name           string  `json:"Name"`
	WithDecryption bool    `json:"WithDecryption"`
	MaxResults     *int    `json:"MaxResults"`
	NextToken      *string `json:"NextToken"`
}

func (s *Service) getParameterHistory(in *getParameterHistoryInput) (any, error) {
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
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
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

type describeParametersInput struct {
	Filters []struct {
		Key    string   `json:"Key"`
		Values []string `json:"Values"`
	} `json:"Filters"`
	ParameterFilters []stringFilter `json:"ParameterFilters"`
	MaxResults       *int           `json:"MaxResults"`
	NextToken        *string        `json:"NextToken"`
}

func (s *Service) describeParameters(in *describeParametersInput) (any, error) {
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
	start := func(c *bolt.Cursor) ([]byte, []byte) { return awsproto.SeekAfter(c, after) }
	params, next, err := s.page(start, limit, nil, match)
	if err != nil {
		return nil, err
	}
	out := []metadataOut{}
	for _, p := range params {
		l := p.latest()
		out = append(out, metadataOut{
			Name: p.Name, ARN: s.arn(p.Name), Type: l.Type, KeyID: l.KeyID,
			LastModifiedDate: epoch(l.LastModifiedDate), LastModifiedUser: s.user(),
			Description: l.Description, AllowedPattern: l.AllowedPattern, Version: l.Version,
			Tier: l.Tier, Policies: []any{}, DataType: l.DataType,
		})
	}
	resp := map[string]any{"Parameters": out}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}
