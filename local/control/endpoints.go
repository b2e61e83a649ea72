package control

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

type endpointInput struct {
	Name                *string           `json:"name"`
	AgentRuntimeVersion *string           `json:"agentRuntimeVersion"`
	Description         *string           `json:"description"`
	ClientToken         string            `json:"clientToken"`
	Tags                map[string]string `json:"tags"`
}

func (in *endpointInput) validate() error {
	if in.AgentRuntimeVersion != nil && !versionPattern().MatchString(*in.AgentRuntimeVersion) {
		return fieldInvalid("agentRuntimeVersion", *in.AgentRuntimeVersion, "Member must satisfy regular expression pattern: ([1-9][0-9]{0,4})")
	}
	if in.Description != nil && (len(*in.Description) < 1 || len(*in.Description) > 256) {
		return fieldInvalid("description", *in.Description, "Member must have length between 1 and 256")
	}
	return nil
}

func validateEndpointName(name string) error {
	if !namePattern().MatchString(name) {
		return fieldInvalid("endpointName", name, "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}")
	}
	return nil
}

// usableVersion checks that an endpoint can be pointed at version v of rt.
func usableVersion(rt *runtimeRec, v string) (int, error) {
	n, _ := strconv.Atoi(v)
	ver := rt.Versions[n]
	if ver == nil {
		return 0, validationf("AgentRuntime %s has no version %s (latest is %d)", rt.ID, v, rt.Latest)
	}
	if ver.Status == statusCreateFailed || ver.Status == statusUpdateFailed {
		return 0, validationf("version %s of AgentRuntime %s is %s and cannot be served: %s", v, rt.ID, ver.Status, ver.FailureReason)
	}
	return n, nil
}

func (s *Service) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	var in endpointInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return fieldMissing("name")
	}
	name := *in.Name
	if !namePattern().MatchString(name) {
		return fieldInvalid("name", name, "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}")
	}
	if err := in.validate(); err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	idem := in.idempotency()
	var ep *endpointRec
	var version int
	err := s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		if e := eps[name]; e != nil {
			if retry, err := e.retriedBy(idem, in.ClientToken); err != nil {
				return err
			} else if retry {
				ep = e
				return nil
			}
		}
		if rt.Status == statusDeleting {
			return conflictf("AgentRuntime %s is being deleted", id)
		}
		if e := eps[name]; e != nil {
			return conflictf("An endpoint with the name '%s' already exists for AgentRuntime %s", name, id)
		}
		v := itoa(rt.Latest)
		if in.AgentRuntimeVersion != nil {
			v = *in.AgentRuntimeVersion
		}
		n, err := usableVersion(rt, v)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		ep = &endpointRec{
			RuntimeID: id, Name: name, ID: name + "-" + randomAlnum(10), Arn: s.endpointArn(id, name),
			TargetVersion: v, Status: statusCreating, ClientToken: in.ClientToken, Idem: idem,
			CreatedAt: now, LastUpdatedAt: now, Tags: in.Tags,
		}
		if in.Description != nil {
			ep.Description = *in.Description
		}
		eps[name] = ep
		version = n
		return nil
	})
	if err != nil {
		return err
	}
	if version > 0 {
		s.rollout(id, version)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"targetVersion":           ep.TargetVersion,
		"agentRuntimeEndpointArn": ep.Arn,
		"agentRuntimeArn":         s.runtimeArn(id),
		"agentRuntimeId":          id,
		"endpointName":            ep.Name,
		"status":                  ep.Status,
		"createdAt":               ts(ep.CreatedAt),
	})
	return nil
}

func (s *Service) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	id, name := r.PathValue("agentRuntimeId"), r.PathValue("endpointName")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	if err := validateEndpointName(name); err != nil {
		return err
	}
	var in endpointInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	idem := in.idempotency()
	var ep *endpointRec
	var version int
	err := s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		e := eps[name]
		if e == nil {
			return notFoundf("Endpoint %s not found for AgentRuntime %s", name, id)
		}
		if retry, err := e.IdemUpdate.matches(idem, "UpdateAgentRuntimeEndpoint"); err != nil || retry {
			ep = e
			return err
		}
		switch e.Status {
		case statusCreating, statusUpdating, statusDeleting:
			return conflictf("Endpoint %s of AgentRuntime %s is %s; wait until it settles before updating it", name, id, e.Status)
		}
		if name == defaultEndpoint && in.AgentRuntimeVersion != nil {
			return validationf("the DEFAULT endpoint always serves the latest version of the runtime and cannot be pointed at a version; create a named endpoint instead")
		}
		now := time.Now().UTC()
		if in.Description != nil {
			e.Description = *in.Description
		}
		if in.AgentRuntimeVersion != nil && (*in.AgentRuntimeVersion != e.LiveVersion || e.Status != statusReady) {
			n, err := usableVersion(rt, *in.AgentRuntimeVersion)
			if err != nil {
				return err
			}
			e.TargetVersion, e.Status, e.FailureReason = *in.AgentRuntimeVersion, statusUpdating, ""
			version = n
		} else if e.Status == statusReady && e.LiveVersion != "" {
			// As AgentCore (and moto) answer: UPDATING, READY once the update settled.
			n, _ := strconv.Atoi(e.LiveVersion)
			e.TargetVersion, e.Status = e.LiveVersion, statusUpdating
			version = n
		}
		e.LastUpdatedAt = now
		if idem.Token != "" {
			e.IdemUpdate = idem
		}
		ep = e
		return nil
	})
	if err != nil {
		return err
	}
	if version > 0 {
		s.rollout(id, version)
	}
	out := map[string]any{
		"agentRuntimeEndpointArn": ep.Arn,
		"agentRuntimeArn":         s.runtimeArn(id),
		"status":                  ep.Status,
		"createdAt":               ts(ep.CreatedAt),
		"lastUpdatedAt":           ts(ep.LastUpdatedAt),
	}
	addVersions(out, ep)
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

func addVersions(out map[string]any, ep *endpointRec) {
	if ep.LiveVersion != "" {
		out["liveVersion"] = ep.LiveVersion
	}
	if ep.TargetVersion != "" {
		out["targetVersion"] = ep.TargetVersion
	}
}

func (s *Service) endpointShape(ep *endpointRec) map[string]any {
	out := map[string]any{
		"name":                    ep.Name,
		"id":                      ep.ID,
		"agentRuntimeEndpointArn": ep.Arn,
		"agentRuntimeArn":         s.runtimeArn(ep.RuntimeID),
		"status":                  ep.Status,
		"createdAt":               ts(ep.CreatedAt),
		"lastUpdatedAt":           ts(ep.LastUpdatedAt),
	}
	if ep.Description != "" {
		out["description"] = ep.Description
	}
	addVersions(out, ep)
	return out
}

func (s *Service) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	id, name := r.PathValue("agentRuntimeId"), r.PathValue("endpointName")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	if err := validateEndpointName(name); err != nil {
		return err
	}
	ep, err := s.store.endpoint(id, name)
	if errors.Is(err, errNotFound) {
		return notFoundf("Endpoint %s not found for AgentRuntime %s", name, id)
	}
	if err != nil {
		return err
	}
	out := s.endpointShape(ep)
	if ep.FailureReason != "" {
		out["failureReason"] = ep.FailureReason
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	if !runtimeIDPattern().MatchString(id) {
		return fieldInvalid("agentRuntimeId", id, "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}")
	}
	// The model lists no ResourceNotFoundException here: an unknown runtime has no endpoints.
	eps, err := s.store.endpoints(id)
	if err != nil {
		return err
	}
	page, next, err := paginate(r, eps, func(e *endpointRec) string {
		return fmt.Sprintf("%020d/%s", e.CreatedAt.UnixNano(), e.Name)
	})
	if err != nil {
		return err
	}
	items := []any{}
	for _, e := range page {
		items = append(items, s.endpointShape(e))
	}
	writeList(w, "runtimeEndpoints", items, next)
	return nil
}

func (s *Service) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	id, name := r.PathValue("agentRuntimeId"), r.PathValue("endpointName")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	if err := validateEndpointName(name); err != nil {
		return err
	}
	err := s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		e := eps[name]
		if e == nil {
			return notFoundf("Endpoint %s not found for AgentRuntime %s", name, id)
		}
		if name == defaultEndpoint {
			return validationf("the DEFAULT endpoint cannot be deleted; it is removed with the runtime (DeleteAgentRuntime)")
		}
		e.Status, e.LastUpdatedAt = statusDeleting, time.Now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.deleteEndpointAsync(id, name)
	writeJSON(w, http.StatusAccepted, map[string]any{"status": statusDeleting, "agentRuntimeId": id, "endpointName": name})
	return nil
}
