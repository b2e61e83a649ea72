package ssm

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

const (
	maxVersions       = 100 // SSM keeps the last 100 versions of a parameter
	maxHierarchyDepth = 15
	standardMaxValue  = 4096
	advancedMaxValue  = 8192
	defaultKeyID      = "alias/aws/ssm"
)

// tag is an SSM resource tag.
type tag struct {
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
	Tags     []tag     `json:"tags,omitempty"`
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

var nameChars = lazyregexp.New(`^[a-zA-Z0-9_.\-/]+$`)

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
	return "arn:aws:ssm:" + s.cfg.Region + ":" + s.cfg.Account + ":parameter" + name
}

func (s *Service) user() string { return "arn:aws:iam::" + s.cfg.Account + ":user/local" }

// nameCandidates maps a name or parameter ARN to the stored names it may mean.
func (s *Service) nameCandidates(name string) []string {
	prefix := "arn:aws:ssm:" + s.cfg.Region + ":" + s.cfg.Account + ":parameter/"
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

type putParameterInput struct {
	Name           string  `json:"Name"`
	Description    *string `json:"Description"`
	Value          *string `json:"Value"`
	Type           string  `json:"Type"`
	KeyID          string  `json:"KeyId"`
	Overwrite      bool    `json:"Overwrite"`
	AllowedPattern *string `json:"AllowedPattern"`
	Tags           []tag   `json:"Tags"`
	Tier           string  `json:"Tier"`
	Policies       string  `json:"Policies"`
	DataType       string  `json:"DataType"`
}

func (s *Service) putParameter(in *putParameterInput) (any, error) {
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
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		p, exists, err := s.load(tx, in.Name)
		if err != nil {
			return err
		}
		if exists && !in.Overwrite {
			return newErr("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		v := version{Value: *in.Value, Type: in.Type, KeyID: in.KeyID, DataType: in.DataType, LastModifiedDate: s.cfg.Now().UTC().Truncate(time.Millisecond)}
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

func validateTags(tags []tag) error {
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

// ---- deleting ----

type deleteParameterInput struct {
	Name string `json:"Name"`
}

func (s *Service) deleteParameter(in *deleteParameterInput) (any, error) {
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
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

type deleteParametersInput struct {
	Names []string `json:"Names"`
}

func (s *Service) deleteParameters(in *deleteParametersInput) (any, error) {
	if err := checkNames(in.Names); err != nil {
		return nil, err
	}
	deleted, invalid := []string{}, []string{}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
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
