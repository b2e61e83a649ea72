package ssm

import (
	bolt "go.etcd.io/bbolt"
)

// Resource tags: AddTagsToResource and ListTagsForResource, for parameters only.

func (s *Service) tagTarget(resourceType, id string) error {
	if resourceType != "Parameter" {
		return newErr("InvalidResourceType", "The resource type %q is not supported by the local provider; only Parameter is.", resourceType)
	}
	if id == "" {
		return newErr("InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct ID and try again.")
	}
	return nil
}

type addTagsToResourceInput struct {
	ResourceType string `json:"ResourceType"`
	ResourceID   string `json:"ResourceId"`
	Tags         []tag  `json:"Tags"`
}

func (s *Service) addTagsToResource(in *addTagsToResourceInput) (any, error) {
	if err := s.tagTarget(in.ResourceType, in.ResourceID); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
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

type listTagsForResourceInput struct {
	ResourceType string `json:"ResourceType"`
	ResourceID   string `json:"ResourceId"`
}

func (s *Service) listTagsForResource(in *listTagsForResourceInput) (any, error) {
	if err := s.tagTarget(in.ResourceType, in.ResourceID); err != nil {
		return nil, err
	}
	tags := []tag{}
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
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
