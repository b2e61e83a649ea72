package control

import (
	"net/http"
	"strings"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// The model's TagKey and TagValue; aws: keys are reserved for AWS, as everywhere in AWS tagging.
var (
	tagKeyPattern   = lazyRegexp(`^[a-zA-Z0-9\s._:/=+@-]{1,128}$`)
	tagValuePattern = lazyRegexp(`^[a-zA-Z0-9\s._:/=+@-]{0,256}$`)
	// runtime/ID or runtime/ID/runtime-endpoint/NAME, in this endpoint's region and account.
	taggableArn = lazyRegexp(`^arn:aws:bedrock-agentcore:([a-z0-9-]+):([0-9]{12}):runtime/([^/]+)(?:/runtime-endpoint/([^/]+))?$`)
)

const maxTags = 50

func validateTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return fieldInvalid("tags", "", "Member must have at most 50 entries")
	}
	for k, v := range tags {
		if !tagKeyPattern().MatchString(k) {
			return fieldInvalid("tags", k, "Member keys must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]* with length between 1 and 128")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return validationf("tag key %s: keys starting with aws: are reserved for AWS", k)
		}
		if !tagValuePattern().MatchString(v) {
			return fieldInvalid("tags", v, "Member values must satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]* with length at most 256")
		}
	}
	return nil
}

// withTags runs fn on the tags of the runtime or endpoint arn names, in one transaction; what
// fn leaves in the map is stored.
func (s *Service) withTags(arn string, fn func(tags map[string]string) error) error {
	if len(arn) < 20 || len(arn) > 1011 {
		return fieldInvalid("resourceArn", arn, "Member must have length between 20 and 1011")
	}
	m := taggableArn().FindStringSubmatch(arn)
	if m == nil || m[1] != s.cfg.Region || m[2] != s.cfg.Account {
		return notFoundf("Resource not found: %s", arn)
	}
	id, endpoint := m[3], m[4]
	if !runtimeIDPattern().MatchString(id) {
		return notFoundf("Resource not found: %s", arn)
	}
	return s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		target := &rt.Tags
		if endpoint != "" {
			e := eps[endpoint]
			if e == nil {
				return notFoundf("Resource not found: %s", arn)
			}
			target = &e.Tags
		}
		if *target == nil {
			*target = map[string]string{}
		}
		if err := fn(*target); err != nil {
			return err
		}
		if len(*target) == 0 {
			*target = nil
		}
		return nil
	})
}

// listTags, tagResource and untagResource are ListTagsForResource, TagResource and
// UntagResource of runtimes and their endpoints.
func (s *Service) listTags(w http.ResponseWriter, r *http.Request) error {
	arn := r.PathValue("resourceArn")
	out := map[string]string{}
	err := s.withTags(arn, func(tags map[string]string) error {
		for k, v := range tags {
			out[k] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": out})
	return nil
}

func (s *Service) tagResource(w http.ResponseWriter, r *http.Request) error {
	arn := r.PathValue("resourceArn")
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.Tags == nil {
		return fieldMissing("tags")
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	err := s.withTags(arn, func(tags map[string]string) error {
		n := len(tags)
		for k := range in.Tags {
			if _, ok := tags[k]; !ok {
				n++
			}
		}
		if n > maxTags {
			return awsproto.Errorf(http.StatusPaymentRequired, "ServiceQuotaExceededException", "a resource has at most 50 tags")
		}
		for k, v := range in.Tags {
			tags[k] = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) untagResource(w http.ResponseWriter, r *http.Request) error {
	arn := r.PathValue("resourceArn")
	keys := r.URL.Query()["tagKeys"]
	if len(keys) == 0 {
		return fieldMissing("tagKeys")
	}
	err := s.withTags(arn, func(tags map[string]string) error {
		for _, k := range keys {
			delete(tags, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
