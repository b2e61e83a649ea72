package ecr

import (
	"encoding/json"
	"strings"
)

// Lifecycle policies (stored, never evaluated) and resource tags.

type putLifecyclePolicyInput struct {
	RegistryID          *string `json:"registryId"`
	RepositoryName      string  `json:"repositoryName"`
	LifecyclePolicyText string  `json:"lifecyclePolicyText"`
}

func (s *Service) putLifecyclePolicy(in *putLifecyclePolicyInput) (any, error) {
	if err := s.checkRegistryID(in.RegistryID); err != nil {
		return nil, err
	}
	if err := validateRepoName(in.RepositoryName); err != nil {
		return nil, err
	}
	if n := len(in.LifecyclePolicyText); n < 100 || n > 30720 {
		return nil, invalidParam("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 30720 and greater than or equal to 100'")
	}
	var doc struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal([]byte(in.LifecyclePolicyText), &doc); err != nil || len(doc.Rules) == 0 {
		return nil, invalidParam("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: the policy must be a JSON object with a non-empty \"rules\" array'")
	}
	r, err := s.update(in.RepositoryName, func(r *repo) error {
		r.LifecyclePolicy = in.LifecyclePolicyText
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "lifecyclePolicyText": r.LifecyclePolicy}, nil
}

func (s *Service) lifecyclePolicyNotFound(name string) error {
	return newErr("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", name, s.cfg.Account)
}

type repoRef struct {
	RegistryID     *string `json:"registryId"`
	RepositoryName string  `json:"repositoryName"`
}

func (s *Service) getLifecyclePolicy(in *repoRef) (any, error) {
	r, err := s.lookup(in.RegistryID, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if r.LifecyclePolicy == "" {
		return nil, s.lifecyclePolicyNotFound(r.Name)
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": r.Name, "lifecyclePolicyText": r.LifecyclePolicy}, nil
}

func (s *Service) deleteLifecyclePolicy(in *repoRef) (any, error) {
	if _, err := s.lookup(in.RegistryID, in.RepositoryName); err != nil {
		return nil, err
	}
	var text string
	_, err := s.update(in.RepositoryName, func(r *repo) error {
		if r.LifecyclePolicy == "" {
			return s.lifecyclePolicyNotFound(r.Name)
		}
		text, r.LifecyclePolicy = r.LifecyclePolicy, ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"registryId": s.cfg.Account, "repositoryName": in.RepositoryName, "lifecyclePolicyText": text}, nil
}

// ---- resource tags ----

// repoFromARN maps arn:aws:ecr:REGION:ACCOUNT:repository/NAME to NAME.
func (s *Service) repoFromARN(arn string) (string, error) {
	prefix := "arn:aws:ecr:" + s.cfg.Region + ":" + s.cfg.Account + ":repository/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:aws:ecr:") {
			return "", invalidParam("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'ARN '%s' is not a repository of registry '%s' in region '%s''", arn, s.cfg.Account, s.cfg.Region)
		}
		return "", invalidParam("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	if _, err := s.lookup(nil, name); err != nil {
		return "", err
	}
	return name, nil
}

type tagResourceInput struct {
	ResourceArn string `json:"resourceArn"`
	Tags        []tag  `json:"tags"`
}

func (s *Service) tagResource(in *tagResourceInput) (any, error) {
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	_, err = s.update(name, func(r *repo) error {
		merged := mergeTags(r.Tags, in.Tags)
		if len(merged) > maxTags {
			return newErr("TooManyTagsException", "Tag limit exceeded: a repository can have at most %d tags", maxTags)
		}
		r.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type untagResourceInput struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

func (s *Service) untagResource(in *untagResourceInput) (any, error) {
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > 128 {
			return nil, newErr("InvalidTagParameterException", "Tag keys must be between 1 and 128 characters")
		}
		drop[k] = true
	}
	_, err = s.update(name, func(r *repo) error {
		var kept []tag
		for _, t := range r.Tags {
			if !drop[*t.Key] {
				kept = append(kept, t)
			}
		}
		r.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

type listTagsForResourceInput struct {
	ResourceArn string `json:"resourceArn"`
}

func (s *Service) listTagsForResource(in *listTagsForResourceInput) (any, error) {
	name, err := s.repoFromARN(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	r, err := s.getRepo(name)
	if err != nil {
		return nil, err
	}
	tags := append([]tag{}, r.Tags...)
	return map[string]any{"tags": tags}, nil
}
