package memory

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Status values: MemoryStatus and MemoryStrategyStatus in the model.
const (
	statusCreating = "CREATING"
	statusActive   = "ACTIVE"
	statusDeleting = "DELETING"
)

// Strategy types (MemoryStrategyType) and the extractor rule each runs (extract.go).
const (
	typeSemantic    = "SEMANTIC"
	typeSummary     = "SUMMARIZATION"
	typePreference  = "USER_PREFERENCE"
	typeCustom      = "CUSTOM"
	typeEpisodic    = "EPISODIC"
	ruleSelfManaged = "SELF_MANAGED" // a custom strategy whose extraction is the caller's
)

// memoryRec is one memory as stored. Statuses are stored with the time they end (ReadyAt,
// GoneAt) and read through view, so a transition needs no timer and survives a restart.
type memoryRec struct {
	ID                      string            `json:"id"`
	Name                    string            `json:"name"`
	Arn                     string            `json:"arn"`
	Description             *string           `json:"description,omitempty"`
	EncryptionKeyArn        *string           `json:"encryptionKeyArn,omitempty"`
	RoleArn                 *string           `json:"memoryExecutionRoleArn,omitempty"`
	Expiry                  int               `json:"eventExpiryDuration"`
	Status                  string            `json:"status"`
	ReadyAt                 time.Time         `json:"readyAt"`
	GoneAt                  time.Time         `json:"goneAt,omitzero"`
	CreatedAt               time.Time         `json:"createdAt"`
	UpdatedAt               time.Time         `json:"updatedAt"`
	Strategies              []*strategyRec    `json:"strategies"`
	IndexedKeys             json.RawMessage   `json:"indexedKeys,omitempty"`
	StreamDeliveryResources json.RawMessage   `json:"streamDeliveryResources,omitempty"`
	Tags                    map[string]string `json:"tags,omitempty"`
	CreateIdem              idempotency       `json:"createIdem,omitzero"`
	UpdateIdem              idempotency       `json:"updateIdem,omitzero"`
}

type strategyRec struct {
	ID                 string          `json:"strategyId"`
	Name               string          `json:"name"`
	Description        *string         `json:"description,omitempty"`
	Type               string          `json:"type"`
	Rule               string          `json:"rule"` // the extractor: a type other than CUSTOM, or SELF_MANAGED
	Namespaces         []string        `json:"namespaces"`
	Configuration      json.RawMessage `json:"configuration,omitempty"` // StrategyConfiguration, as answered
	MemoryRecordSchema json.RawMessage `json:"memoryRecordSchema,omitempty"`
	Status             string          `json:"status"`
	ReadyAt            time.Time       `json:"readyAt"`
	GoneAt             time.Time       `json:"goneAt,omitzero"`
	CreatedAt          time.Time       `json:"createdAt"`
	UpdatedAt          time.Time       `json:"updatedAt"`
}

// view returns the memory as it stands at now: CREATING past ReadyAt is ACTIVE, strategies
// likewise, and deleted strategies past GoneAt are gone. ok is false for a memory whose
// deletion has finished (the sweeper removes it later).
func (m *memoryRec) view(now time.Time) (v memoryRec, ok bool) {
	v = *m
	if v.Status == statusDeleting && !now.Before(v.GoneAt) {
		return v, false
	}
	if v.Status == statusCreating && !now.Before(v.ReadyAt) {
		v.Status = statusActive
	}
	v.Strategies = nil
	for _, st := range m.Strategies {
		c := *st
		switch {
		case c.Status == statusDeleting && !now.Before(c.GoneAt):
			continue
		case c.Status == statusCreating && !now.Before(c.ReadyAt):
			c.Status = statusActive
		}
		v.Strategies = append(v.Strategies, &c)
	}
	return v, true
}

// strategy returns the strategy id of v, nil when there is none (or it is being deleted).
func (m *memoryRec) strategy(id string) *strategyRec {
	for _, st := range m.Strategies {
		if st.ID == id && st.Status != statusDeleting {
			return st
		}
	}
	return nil
}

// out is the Memory shape of the model.
func (m *memoryRec) out() map[string]any {
	strategies := []any{}
	for _, st := range m.Strategies {
		o := map[string]any{
			"strategyId": st.ID, "name": st.Name, "type": st.Type, "namespaces": st.Namespaces,
			"namespaceTemplates": st.Namespaces, "status": st.Status,
			"createdAt": awsproto.Epoch(st.CreatedAt), "updatedAt": awsproto.Epoch(st.UpdatedAt),
		}
		setOpt(o, "description", st.Description)
		setRaw(o, "configuration", st.Configuration)
		setRaw(o, "memoryRecordSchema", st.MemoryRecordSchema)
		strategies = append(strategies, o)
	}
	o := map[string]any{
		"arn": m.Arn, "id": m.ID, "name": m.Name, "eventExpiryDuration": m.Expiry, "status": m.Status,
		"createdAt": awsproto.Epoch(m.CreatedAt), "updatedAt": awsproto.Epoch(m.UpdatedAt), "strategies": strategies,
	}
	setOpt(o, "description", m.Description)
	setOpt(o, "encryptionKeyArn", m.EncryptionKeyArn)
	setOpt(o, "memoryExecutionRoleArn", m.RoleArn)
	setRaw(o, "indexedKeys", m.IndexedKeys)
	setRaw(o, "streamDeliveryResources", m.StreamDeliveryResources)
	return o
}

func setOpt(o map[string]any, k string, v *string) {
	if v != nil {
		o[k] = *v
	}
}

func setRaw(o map[string]any, k string, v json.RawMessage) {
	if len(v) > 0 && string(v) != "null" {
		o[k] = v
	}
}

// idempotency is a clientToken and a hash of the rest of its call: a retry with the same
// token and parameters answers the first call's result; the same token with other parameters
// is the model's ValidationException with reason IdempotentParameterMismatchException.
type idempotency struct {
	Token string `json:"token,omitempty"`
	Hash  string `json:"hash,omitempty"`
}

func newIdempotency(token *string, in any) idempotency {
	if token == nil || *token == "" {
		return idempotency{}
	}
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return idempotency{Token: *token, Hash: hex.EncodeToString(sum[:8])}
}

// retries reports whether a call with idempotency n retries the one recorded as i.
func (i idempotency) retries(n idempotency, op string) (bool, error) {
	if n.Token == "" || i.Token != n.Token {
		return false, nil
	}
	if i.Hash != n.Hash {
		e := validationf("clientToken %s was already used for a different %s request; use a new token for new parameters", n.Token, op)
		e.Reason = "IdempotentParameterMismatchException"
		return false, e
	}
	return true, nil
}

// ---- inputs ----

type createMemoryInput struct {
	ClientToken             *string                     `json:"clientToken,omitempty"`
	Name                    *string                     `json:"name"`
	Description             *string                     `json:"description,omitempty"`
	EncryptionKeyArn        *string                     `json:"encryptionKeyArn,omitempty"`
	RoleArn                 *string                     `json:"memoryExecutionRoleArn,omitempty"`
	Expiry                  *int                        `json:"eventExpiryDuration"`
	Strategies              []map[string]*strategyInput `json:"memoryStrategies,omitempty"`
	IndexedKeys             json.RawMessage             `json:"indexedKeys,omitempty"`
	StreamDeliveryResources json.RawMessage             `json:"streamDeliveryResources,omitempty"`
	Tags                    map[string]string           `json:"tags,omitempty"`
}

// strategyInput is every member of the five *MemoryStrategyInput shapes.
type strategyInput struct {
	Name                    *string         `json:"name"`
	Description             *string         `json:"description,omitempty"`
	Namespaces              []string        `json:"namespaces,omitempty"`
	NamespaceTemplates      []string        `json:"namespaceTemplates,omitempty"`
	MemoryRecordSchema      json.RawMessage `json:"memoryRecordSchema,omitempty"`
	Configuration           json.RawMessage `json:"configuration,omitempty"`           // custom
	ReflectionConfiguration json.RawMessage `json:"reflectionConfiguration,omitempty"` // episodic
}

type updateMemoryInput struct {
	ClientToken             *string         `json:"clientToken,omitempty"`
	Description             *string         `json:"description,omitempty"`
	Expiry                  *int            `json:"eventExpiryDuration,omitempty"`
	RoleArn                 *string         `json:"memoryExecutionRoleArn,omitempty"`
	AddIndexedKeys          json.RawMessage `json:"addIndexedKeys,omitempty"`
	StreamDeliveryResources json.RawMessage `json:"streamDeliveryResources,omitempty"`
	Strategies              *struct {
		Add    []map[string]*strategyInput `json:"addMemoryStrategies,omitempty"`
		Modify []modifyStrategyInput       `json:"modifyMemoryStrategies,omitempty"`
		Delete []struct {
			ID *string `json:"memoryStrategyId"`
		} `json:"deleteMemoryStrategies,omitempty"`
	} `json:"memoryStrategies,omitempty"`
	MemoryID string `json:"memoryId,omitempty"` // from the path, part of the idempotency hash
}

type modifyStrategyInput struct {
	ID                 *string                    `json:"memoryStrategyId"`
	Description        *string                    `json:"description,omitempty"`
	Namespaces         []string                   `json:"namespaces,omitempty"`
	NamespaceTemplates []string                   `json:"namespaceTemplates,omitempty"`
	Configuration      map[string]json.RawMessage `json:"configuration,omitempty"`
	MemoryRecordSchema json.RawMessage            `json:"memoryRecordSchema,omitempty"`
}

// strategyTypes maps the members of the MemoryStrategyInput union to their type.
var strategyTypes = map[string]string{
	"semanticMemoryStrategy":       typeSemantic,
	"summaryMemoryStrategy":        typeSummary,
	"userPreferenceMemoryStrategy": typePreference,
	"customMemoryStrategy":         typeCustom,
	"episodicMemoryStrategy":       typeEpisodic,
}

// defaultNamespace is the namespace of a strategy created without one: AWS's defaults.
func defaultNamespace(rule string) string {
	switch rule {
	case typeSummary, typeEpisodic:
		return "/strategies/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}"
	}
	return "/strategies/{memoryStrategyId}/actors/{actorId}"
}

// newStrategy checks one MemoryStrategyInput (field names its position in errors) and
// builds the strategy it asks for.
func (s *Service) newStrategy(field string, in map[string]*strategyInput, now time.Time) (*strategyRec, error) {
	c := &check{}
	if len(in) != 1 {
		return nil, validationf("%s must set exactly one of semanticMemoryStrategy, summaryMemoryStrategy, userPreferenceMemoryStrategy, customMemoryStrategy, episodicMemoryStrategy", field)
	}
	var member string
	var si *strategyInput
	for member, si = range in {
	}
	typ, ok := strategyTypes[member]
	if !ok || si == nil {
		return nil, validationf("%s: unknown strategy %q; expected semanticMemoryStrategy, summaryMemoryStrategy, userPreferenceMemoryStrategy, customMemoryStrategy or episodicMemoryStrategy", field, member)
	}
	field += "." + member
	c.required(field+".name", si.Name != nil)
	if si.Name != nil {
		c.str(field+".name", *si.Name, 1, 48, namePattern)
	}
	c.optStr(field+".description", si.Description, 1, 4096, nil)
	ns := si.NamespaceTemplates // namespaces is its deprecated name
	if len(ns) == 0 {
		ns = si.Namespaces
	}
	if si.Namespaces != nil {
		c.count(field+".namespaces", len(si.Namespaces), 1, 1)
	}
	if si.NamespaceTemplates != nil {
		c.count(field+".namespaceTemplates", len(si.NamespaceTemplates), 1, 1)
	}
	for _, n := range ns {
		c.str(field+".namespaces.member", n, 1, 512, templatePattern)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	st := &strategyRec{
		ID: *si.Name + "-" + randomAlnum(10), Name: *si.Name, Description: si.Description, Type: typ, Rule: typ,
		MemoryRecordSchema: si.MemoryRecordSchema, Status: statusCreating, ReadyAt: now.Add(s.cfg.Transition),
		CreatedAt: now, UpdatedAt: now,
	}
	switch typ {
	case typeCustom:
		conf, rule, err := customConfiguration(field+".configuration", si.Configuration)
		if err != nil {
			return nil, err
		}
		st.Configuration, st.Rule = conf, rule
	case typeEpisodic:
		if len(si.ReflectionConfiguration) > 0 {
			st.Configuration, _ = json.Marshal(map[string]any{"reflection": map[string]json.RawMessage{"episodicReflectionConfiguration": si.ReflectionConfiguration}})
		}
	}
	if len(ns) == 0 {
		ns = []string{defaultNamespace(st.Rule)}
	}
	st.Namespaces = ns
	return st, nil
}

// customConfiguration turns a CustomConfigurationInput (a union) into the
// StrategyConfiguration answered for it, and names the extractor it runs: an override runs
// the rule of the strategy it overrides (the prompt and model are kept, not used).
func customConfiguration(field string, raw json.RawMessage) (json.RawMessage, string, error) {
	var in map[string]map[string]json.RawMessage
	if len(raw) == 0 {
		return nil, "", fieldMissing(field)
	}
	if err := json.Unmarshal(raw, &in); err != nil || len(in) != 1 {
		return nil, "", validationf("%s must set exactly one of semanticOverride, summaryOverride, userPreferenceOverride, episodicOverride, selfManagedConfiguration", field)
	}
	out := map[string]any{}
	wrap := func(outer, inner string, v json.RawMessage) map[string]map[string]json.RawMessage {
		return map[string]map[string]json.RawMessage{outer: {inner: v}}
	}
	for member, v := range in {
		var rule, prefix string
		switch member {
		case "semanticOverride":
			out["type"], rule, prefix = "SEMANTIC_OVERRIDE", typeSemantic, "semantic"
		case "summaryOverride":
			out["type"], rule, prefix = "SUMMARY_OVERRIDE", typeSummary, "summary"
		case "userPreferenceOverride":
			out["type"], rule, prefix = "USER_PREFERENCE_OVERRIDE", typePreference, "userPreference"
		case "episodicOverride":
			out["type"], rule, prefix = "EPISODIC_OVERRIDE", typeEpisodic, "episodic"
		case "selfManagedConfiguration":
			out["type"] = "SELF_MANAGED"
			sm := v
			if sm["invocationConfiguration"] == nil {
				return nil, "", fieldMissing(field + ".selfManagedConfiguration.invocationConfiguration")
			}
			if sm["historicalContextWindowSize"] == nil {
				sm["historicalContextWindowSize"] = json.RawMessage("4")
			}
			if sm["triggerConditions"] == nil {
				sm["triggerConditions"] = json.RawMessage(`[{"messageBasedTrigger":{"messageCount":1}}]`)
			}
			out["selfManagedConfiguration"] = sm
			b, _ := json.Marshal(out)
			return b, ruleSelfManaged, nil
		default:
			return nil, "", validationf("%s: unknown member %q", field, member)
		}
		if x := v["extraction"]; x != nil {
			out["extraction"] = wrap("customExtractionConfiguration", prefix+"ExtractionOverride", x)
		}
		if x := v["consolidation"]; x != nil {
			out["consolidation"] = wrap("customConsolidationConfiguration", prefix+"ConsolidationOverride", x)
		}
		if x := v["reflection"]; x != nil {
			out["reflection"] = wrap("customReflectionConfiguration", prefix+"ReflectionOverride", x)
		}
		b, _ := json.Marshal(out)
		return b, rule, nil
	}
	return nil, "", nil
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// ---- operations ----

func (s *Service) createMemory(r *http.Request, in *createMemoryInput) (reply, error) {
	c := &check{}
	c.optStr("clientToken", in.ClientToken, 0, 500, nil)
	c.required("name", in.Name != nil)
	if in.Name != nil {
		c.str("name", *in.Name, 1, 48, namePattern)
	}
	c.optStr("description", in.Description, 1, 4096, nil)
	c.optStr("encryptionKeyArn", in.EncryptionKeyArn, 1, 0, arnPattern)
	c.optStr("memoryExecutionRoleArn", in.RoleArn, 1, 0, arnPattern)
	c.required("eventExpiryDuration", in.Expiry != nil)
	c.intRange("eventExpiryDuration", in.Expiry, 3, 365)
	c.tags("tags", in.Tags)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	now := s.cfg.Now().UTC()
	m := &memoryRec{
		Name: *in.Name, Description: in.Description, EncryptionKeyArn: in.EncryptionKeyArn, RoleArn: in.RoleArn,
		Expiry: *in.Expiry, Status: statusCreating, ReadyAt: now.Add(s.cfg.Transition), CreatedAt: now, UpdatedAt: now,
		IndexedKeys: in.IndexedKeys, StreamDeliveryResources: in.StreamDeliveryResources, Tags: in.Tags,
	}
	if err := s.addStrategies(m, "memoryStrategies", in.Strategies, now); err != nil {
		return reply{}, err
	}
	token := in.ClientToken
	in.ClientToken = nil
	m.CreateIdem = newIdempotency(token, in)
	var out map[string]any
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMemories)
		err := b.ForEach(func(_, v []byte) error {
			var o memoryRec
			if json.Unmarshal(v, &o) != nil {
				return nil
			}
			if retry, err := o.CreateIdem.retries(m.CreateIdem, "CreateMemory"); err != nil || retry {
				if retry {
					ov, _ := o.view(now)
					out = ov.out()
				}
				return err
			}
			if ov, ok := o.view(now); ok && o.Name == m.Name {
				return conflictf("a memory named %s already exists (%s, %s)", m.Name, o.ID, ov.Status)
			}
			return nil
		})
		if err != nil || out != nil {
			return err
		}
		m.ID = m.Name + "-" + randomAlnum(10)
		m.Arn = "arn:aws:bedrock-agentcore:" + s.cfg.Region + ":" + s.cfg.Account + ":memory/" + m.ID
		out = m.out()
		return putJSON(b, []byte(m.ID), m)
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusAccepted, map[string]any{"memory": out}}, nil
}

// addStrategies checks and adds the strategies of a create or an update to m; a name used
// twice in one memory is refused.
func (s *Service) addStrategies(m *memoryRec, field string, ins []map[string]*strategyInput, now time.Time) error {
	for i, in := range ins {
		st, err := s.newStrategy(field+"."+itoa(i+1)+".member", in, now)
		if err != nil {
			return err
		}
		for _, o := range m.Strategies {
			if o.Name == st.Name && o.Status != statusDeleting {
				return validationf("%s: a strategy named %s already exists in memory %s (%s)", field, st.Name, m.Name, o.ID)
			}
		}
		m.Strategies = append(m.Strategies, st)
	}
	return nil
}

// getMemory answers GetMemory; the view query member is accepted (no encryption here).
func (s *Service) getMemory(r *http.Request, _ *none) (reply, error) {
	var out map[string]any
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		m, err := s.memory(tx, r.PathValue("memoryId"), true) // a memory being deleted answers DELETING
		if err == nil {
			out = m.out()
		}
		return err
	})
	if err != nil {
		return reply{}, err
	}
	if v := r.URL.Query().Get("view"); v != "" && v != "full" && v != "without_decryption" {
		return reply{}, fieldInvalid("view", v, "Member must satisfy enum value set: [full, without_decryption]")
	}
	return reply{http.StatusOK, map[string]any{"memory": out}}, nil
}

// memory reads memory id as it stands now. A memory being deleted is found only when
// deleting is true (DeleteMemory answers it again); one whose deletion has finished is not.
func (s *Service) memory(tx *bolt.Tx, id string, deleting bool) (*memoryRec, error) {
	c := &check{}
	c.str("memoryId", id, 12, 0, memoryIDPattern)
	if err := c.err(); err != nil {
		return nil, err
	}
	var m memoryRec
	v := tx.Bucket(bucketMemories).Get([]byte(id))
	if v == nil {
		return nil, notFoundf("Memory %s not found", id)
	}
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	view, ok := m.view(s.cfg.Now())
	if !ok || (view.Status == statusDeleting && !deleting) {
		return nil, notFoundf("Memory %s not found", id)
	}
	return &view, nil
}

// stored reads memory id as stored (statuses not advanced), for a change.
func stored(tx *bolt.Tx, id string) (*memoryRec, error) {
	var m memoryRec
	v := tx.Bucket(bucketMemories).Get([]byte(id))
	if v == nil {
		return nil, notFoundf("Memory %s not found", id)
	}
	return &m, json.Unmarshal(v, &m)
}

type listMemoriesInput struct {
	MaxResults *int    `json:"maxResults,omitempty"`
	NextToken  *string `json:"nextToken,omitempty"`
}

func (s *Service) listMemories(r *http.Request, in *listMemoriesInput) (reply, error) {
	c := &check{}
	c.intRange("maxResults", in.MaxResults, 1, 100)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	after, err := awsproto.ParsePageToken(in.NextToken, validationf("Invalid nextToken"))
	if err != nil {
		return reply{}, err
	}
	limit := 100
	if in.MaxResults != nil {
		limit = *in.MaxResults
	}
	now := s.cfg.Now()
	pg := newPage(limit)
	err = s.cfg.DB.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketMemories).Cursor()
		for k, v := awsproto.SeekAfter(cur, after); k != nil; k, v = cur.Next() {
			var m memoryRec
			if json.Unmarshal(v, &m) != nil {
				continue
			}
			view, ok := m.view(now)
			if !ok {
				continue
			}
			if !pg.add(view.ID, map[string]any{"arn": view.Arn, "id": view.ID, "status": view.Status,
				"createdAt": awsproto.Epoch(view.CreatedAt), "updatedAt": awsproto.Epoch(view.UpdatedAt)}) {
				return nil
			}
		}
		return nil
	})
	return pg.reply("memories", err)
}

func (s *Service) updateMemory(r *http.Request, in *updateMemoryInput) (reply, error) {
	id := r.PathValue("memoryId")
	c := &check{}
	c.optStr("clientToken", in.ClientToken, 0, 500, nil)
	c.optStr("description", in.Description, 1, 4096, nil)
	c.intRange("eventExpiryDuration", in.Expiry, 3, 365)
	c.optStr("memoryExecutionRoleArn", in.RoleArn, 1, 0, arnPattern)
	if err := c.err(); err != nil {
		return reply{}, err
	}
	token := in.ClientToken
	in.ClientToken, in.MemoryID = nil, id
	idem := newIdempotency(token, in)
	now := s.cfg.Now().UTC()
	var out map[string]any
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		view, err := s.memory(tx, id, false)
		if err != nil {
			return err
		}
		m, err := stored(tx, id)
		if err != nil {
			return err
		}
		if retry, err := m.UpdateIdem.retries(idem, "UpdateMemory"); err != nil || retry {
			out = view.out()
			return err
		}
		if view.Status != statusActive {
			return conflictf("Memory %s is %s; it can be updated once ACTIVE", id, view.Status)
		}
		// Advance the stored statuses first: a change starts from what a Get shows.
		advanced, _ := m.view(now)
		keep := m.Strategies[:0]
		for _, st := range m.Strategies {
			if a := advanced.strategyByID(st.ID); a != nil {
				keep = append(keep, a)
			}
		}
		m.Strategies, m.Status = keep, advanced.Status
		if in.Description != nil {
			m.Description = in.Description
		}
		if in.Expiry != nil {
			m.Expiry = *in.Expiry
		}
		if in.RoleArn != nil {
			m.RoleArn = in.RoleArn
		}
		if len(in.StreamDeliveryResources) > 0 {
			m.StreamDeliveryResources = in.StreamDeliveryResources
		}
		if len(in.AddIndexedKeys) > 0 {
			m.IndexedKeys = appendRawLists(m.IndexedKeys, in.AddIndexedKeys)
		}
		if ms := in.Strategies; ms != nil {
			for i, d := range ms.Delete {
				field := "memoryStrategies.deleteMemoryStrategies." + itoa(i+1) + ".member.memoryStrategyId"
				if d.ID == nil {
					return fieldMissing(field)
				}
				st := m.strategy(*d.ID)
				if st == nil {
					return notFoundf("Memory strategy %s not found in memory %s", *d.ID, id)
				}
				st.Status, st.GoneAt, st.UpdatedAt = statusDeleting, now.Add(s.cfg.Transition), now
			}
			for i, mod := range ms.Modify {
				field := "memoryStrategies.modifyMemoryStrategies." + itoa(i+1) + ".member"
				if err := modifyStrategy(m, id, field, mod, now); err != nil {
					return err
				}
			}
			if err := s.addStrategies(m, "memoryStrategies.addMemoryStrategies", ms.Add, now); err != nil {
				return err
			}
		}
		m.UpdatedAt, m.UpdateIdem = now, idem
		v, _ := m.view(now)
		out = v.out()
		return putJSON(tx.Bucket(bucketMemories), []byte(id), m)
	})
	if err != nil {
		return reply{}, err
	}
	return reply{http.StatusAccepted, map[string]any{"memory": out}}, nil
}

func (m *memoryRec) strategyByID(id string) *strategyRec {
	for _, st := range m.Strategies {
		if st.ID == id {
			return st
		}
	}
	return nil
}

// modifyStrategy applies one ModifyMemoryStrategyInput.
func modifyStrategy(m *memoryRec, memoryID, field string, mod modifyStrategyInput, now time.Time) error {
	if mod.ID == nil {
		return fieldMissing(field + ".memoryStrategyId")
	}
	st := m.strategy(*mod.ID)
	if st == nil {
		return notFoundf("Memory strategy %s not found in memory %s", *mod.ID, memoryID)
	}
	c := &check{}
	c.optStr(field+".description", mod.Description, 1, 4096, nil)
	ns := mod.NamespaceTemplates
	if len(ns) == 0 {
		ns = mod.Namespaces
	}
	if mod.Namespaces != nil {
		c.count(field+".namespaces", len(mod.Namespaces), 1, 1)
	}
	for _, n := range ns {
		c.str(field+".namespaces.member", n, 1, 512, templatePattern)
	}
	if err := c.err(); err != nil {
		return err
	}
	if mod.Description != nil {
		st.Description = mod.Description
	}
	if len(ns) > 0 {
		st.Namespaces = ns
	}
	if len(mod.MemoryRecordSchema) > 0 {
		st.MemoryRecordSchema = mod.MemoryRecordSchema
	}
	if len(mod.Configuration) > 0 {
		// The Modify*Configuration members carry the same members as the answered
		// StrategyConfiguration: each one given replaces the one kept.
		conf := map[string]json.RawMessage{}
		json.Unmarshal(st.Configuration, &conf)
		for k, v := range mod.Configuration {
			conf[k] = v
		}
		st.Configuration, _ = json.Marshal(conf)
	}
	st.UpdatedAt = now
	return nil
}

// appendRawLists concatenates two JSON lists.
func appendRawLists(a, b json.RawMessage) json.RawMessage {
	var x, y []json.RawMessage
	json.Unmarshal(a, &x)
	json.Unmarshal(b, &y)
	out, _ := json.Marshal(append(x, y...))
	return out
}

// deleteMemory starts the deletion: DELETING for Config.Transition, then gone; the sweeper
// purges its events, records and jobs. Deleting a memory being deleted answers it again.
func (s *Service) deleteMemory(r *http.Request, _ *none) (reply, error) {
	id := r.PathValue("memoryId")
	c := &check{}
	if tok := r.URL.Query().Get("clientToken"); len(tok) > 500 {
		c.fail(fieldInvalid("clientToken", tok, "Member must have length less than or equal to 500"))
	}
	if err := c.err(); err != nil {
		return reply{}, err
	}
	now := s.cfg.Now().UTC()
	err := s.cfg.DB.Update(func(tx *bolt.Tx) error {
		view, err := s.memory(tx, id, true)
		if err != nil {
			return err
		}
		if view.Status == statusDeleting {
			return nil
		}
		m, err := stored(tx, id)
		if err != nil {
			return err
		}
		m.Status, m.GoneAt, m.UpdatedAt = statusDeleting, now.Add(s.cfg.Transition), now
		return putJSON(tx.Bucket(bucketMemories), []byte(id), m)
	})
	if err != nil {
		return reply{}, err
	}
	s.idx.dropMemory(id)
	return reply{http.StatusAccepted, map[string]any{"memoryId": id, "status": statusDeleting}}, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func itoa(i int) string { return strconv.Itoa(i) }
