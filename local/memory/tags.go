package memory

import (
	"net/http"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Tags of memories: ListTagsForResource, TagResource and UntagResource of bedrock-agentcore-
// control on a memory's ARN. The endpoint's /tags/ routes are local/control's (runtimes); the
// server sends a memory's ARN here (OwnsARN).

// OwnsARN tells whether a /tags/{resourceArn} request names a memory.
func OwnsARN(r *http.Request) bool {
	arn, ok := strings.CutPrefix(r.URL.Path, "/tags/")
	return ok && strings.Contains(arn, ":memory/")
}

// ServeTags answers GET, POST and DELETE /tags/{resourceArn} for a memory's ARN.
func (s *Service) ServeTags(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
	if err := s.tags(w, r); err != nil {
		protocol.WriteError(w, r, err)
	}
}

func (s *Service) tags(w http.ResponseWriter, r *http.Request) error {
	arn := strings.TrimPrefix(r.URL.Path, "/tags/")
	_, id, _ := strings.Cut(arn, ":memory/")
	prefix := "arn:aws:bedrock-agentcore:" + s.cfg.Region + ":" + s.cfg.Account + ":memory/"
	if !strings.HasPrefix(arn, prefix) || !memoryIDPattern().MatchString(id) {
		return notFoundf("Resource not found: %s", arn)
	}
	switch r.Method {
	case http.MethodGet:
		var tags map[string]string
		err := s.cfg.DB.View(func(tx *bolt.Tx) error {
			m, err := s.memory(tx, id, false)
			if err == nil {
				tags = m.Tags
			}
			return err
		})
		if err != nil {
			return err
		}
		if tags == nil {
			tags = map[string]string{}
		}
		protocol.Write(w, http.StatusOK, map[string]any{"tags": tags})
		return nil
	case http.MethodPost:
		var in struct {
			Tags map[string]string `json:"tags"`
		}
		if err := awsproto.ReadJSON(r, &in); err != nil {
			return validationf("could not parse the request body: %v", err)
		}
		c := &check{}
		c.required("tags", in.Tags != nil)
		c.tags("tags", in.Tags)
		if err := c.err(); err != nil {
			return err
		}
		return s.editTags(w, id, func(tags map[string]string) error {
			for k, v := range in.Tags {
				tags[k] = v
			}
			c := &check{}
			c.count("tags", len(tags), 0, 50)
			return c.err()
		})
	case http.MethodDelete:
		keys := r.URL.Query()["tagKeys"]
		c := &check{}
		c.required("tagKeys", len(keys) > 0)
		if err := c.err(); err != nil {
			return err
		}
		return s.editTags(w, id, func(tags map[string]string) error {
			for _, k := range keys {
				delete(tags, k)
			}
			return nil
		})
	}
	return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "no such operation: %s %s", r.Method, r.URL.Path)
}

// editTags changes a memory's tags in one transaction and answers 204 (the model's
// responseCode of TagResource and UntagResource).
func (s *Service) editTags(w http.ResponseWriter, id string, fn func(map[string]string) error) error {
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if _, err := s.memory(tx, id, false); err != nil {
			return err
		}
		m, err := stored(tx, id)
		if err != nil {
			return err
		}
		if m.Tags == nil {
			m.Tags = map[string]string{}
		}
		if err := fn(m.Tags); err != nil {
			return err
		}
		if len(m.Tags) == 0 {
			m.Tags = nil
		}
		return putJSON(tx.Bucket(bucketMemories), []byte(id), m)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
