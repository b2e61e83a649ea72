// Package memory is the `memory` Lua module: AgentCore Memory's control plane (create, get,
// find, update by strategy diff, wait for ACTIVE, delete) for AWS or the local endpoint alike.
// Strategies are written as agentcore.toml writes them (type = "semantic", namespace = "..."),
// and results use the same words, so a recipe compares configuration and service directly.
// It reaches AgentCore through builtins/aws/awscall.
package memory

//lint:file-ignore SA1019 the legacy namespaces field is read and sent beside namespaceTemplates: moto 5.2.1 knows only it (docs/moto-differences.md)

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	control "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	proj "github.com/agentcore/agentcore/project"
)

// api is the part of the AgentCore control plane this module calls.
type api interface {
	CreateMemory(context.Context, *control.CreateMemoryInput, ...func(*control.Options)) (*control.CreateMemoryOutput, error)
	GetMemory(context.Context, *control.GetMemoryInput, ...func(*control.Options)) (*control.GetMemoryOutput, error)
	UpdateMemory(context.Context, *control.UpdateMemoryInput, ...func(*control.Options)) (*control.UpdateMemoryOutput, error)
	DeleteMemory(context.Context, *control.DeleteMemoryInput, ...func(*control.Options)) (*control.DeleteMemoryOutput, error)
	ListMemories(context.Context, *control.ListMemoriesInput, ...func(*control.Options)) (*control.ListMemoriesOutput, error)
}

type module struct {
	control *awscall.Service[api]
	data    *awscall.Service[dataAPI] // data.go
}

// New returns the memory Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := &module{control: &awscall.Service[api]{AWS: a, Name: "bedrockagentcorecontrol",
		New: func(s *awscall.Session) api { return control.NewFromConfig(s.Config) }, Hint: hint}}
	m.data = &awscall.Service[dataAPI]{AWS: a, Name: "bedrockagentcore",
		New: func(s *awscall.Session) dataAPI { return data.NewFromConfig(s.Config) }, Hint: hint}
	classes, funcs := dataFuncs(m)
	mod := &engine.Module{
		Name: "memory",
		Doc: "AgentCore Memory: its control plane (create a memory, bring it to its configuration (strategies added, " +
			"modified and deleted by id in one UpdateMemory: the memory and its events are kept), wait for ACTIVE, " +
			"find, get and delete it. Strategy types are agentcore.toml's (semantic, summary, user_preference, " +
			"episodic, custom); get answers nil for a memory that does not exist), and what people read of its data plane: " +
			"events, records, search, and forgetting an actor.",
		Classes: []*engine.Class{
			{Name: "memory.Spec", Of: spec{}, Doc: "A memory's configuration as agentcore.toml gives it (project.agent(NAME).memory has this shape)."},
			{Name: "memory.StrategySpec", Of: strategySpec{}, Doc: "One strategy: type, name (unique in its memory), namespace (\"\": AgentCore's own), and for custom: extends, model and the prompts."},
			{Name: "memory.CreateOpts", Of: createOpts{}},
			{Name: "memory.UpdateOpts", Of: updateOpts{}},
			{Name: "memory.WaitOpts", Of: waitOpts{}, Doc: "timeout and interval in seconds."},
			{Name: "memory.Memory", Of: Memory{}, Doc: "A memory as GetMemory describes it; event_expiry_days is its eventExpiryDuration."},
			{Name: "memory.Strategy", Of: Strategy{}, Doc: "A strategy as the service describes it: its id, and its type as agentcore.toml writes it (api_type is AgentCore's)."},
			{Name: "memory.Change", Of: Change{}, Doc: "One difference between a memory and its configuration: what (strategy, event_expiry_days, description, execution_role, encryption_key), action (add, modify, delete, set, replace), the strategy's name and id, was and now, in words."},
			{Name: "memory.UpdateResult", Of: updateResult{}},
		},
		Funcs: []engine.Func{
			{Name: "create", Params: "spec: memory.Spec, opts?: memory.CreateOpts", Returns: "memory.Memory", Go: m.luaCreate,
				Doc: "Creates a memory (CreateMemory) named spec.memory_name with its strategies and tags; client_token makes a repeated call " +
					"return the first one's memory. It starts CREATING: wait waits for ACTIVE."},
			{Name: "get", Params: "id: string", Returns: "memory.Memory?", Go: m.luaGet,
				Doc: "The memory (GetMemory), or nil when it does not exist."},
			{Name: "find", Params: "memory_name: string", Returns: "memory.Memory?", Go: m.luaFind,
				Doc: "The memory of that name in the account and region (ListMemories, then GetMemory: AWS ids start with the name, which is tried first), or nil."},
			{Name: "diff", Params: "live: memory.Memory, spec: memory.Spec", Returns: "memory.Change[]", Go: luaDiff,
				Doc: "What differs between a memory as get returns it and its configuration, strategies matched by name; [] when they agree. " +
					"A namespace left out (\"\") is not compared (AgentCore chooses one). A strategy whose type changed, and a changed encryption key, are action = \"replace\": UpdateMemory cannot do them."},
			{Name: "update", Params: "id: string, spec: memory.Spec, opts?: memory.UpdateOpts", Returns: "memory.UpdateResult", Go: m.luaUpdate,
				Doc: "Brings the memory to spec in one UpdateMemory: strategies missing are added (addMemoryStrategies), changed ones modified by id " +
					"(modifyMemoryStrategies: description, namespaces), extra ones deleted by id (deleteMemoryStrategies), and the expiry, description and " +
					"execution role set. Never deletes the memory: its events are kept. Nothing differs: no call (changed = false). A change UpdateMemory cannot " +
					"make (a strategy's type, the encryption key) stops with exit 2 before any call."},
			{Name: "wait", Params: "id: string, opts?: memory.WaitOpts", Returns: "memory.Memory?", Go: m.luaWait,
				Doc: "Polls the memory until it is ACTIVE (returned) or FAILED (raises with its failureReason); nil when it does not exist (gone after DELETING). Default timeout 10 minutes."},
			{Name: "delete", Params: "id: string, opts?: memory.CreateOpts", Returns: "boolean", Go: m.luaDelete,
				Doc: "Deletes the memory with its events and records (DeleteMemory): true when it existed, false when there was nothing to delete."},
		},
	}
	mod.Classes = append(mod.Classes, classes...)
	mod.Funcs = append(mod.Funcs, funcs...)
	return mod
}

func hint(code, msg string) string {
	switch code {
	case "ResourceNotFoundException":
		return "the memory does not exist: agentcore create or update makes it; agentcore import memory ID --as NAME records an existing one"
	case "ServiceQuotaExceededException":
		return "the account's memory quota is reached: delete memories you no longer use, or ask AWS for more"
	case "AccessDeniedException":
		return "the credentials may not manage AgentCore Memory: they need bedrock-agentcore:CreateMemory, GetMemory, UpdateMemory, DeleteMemory and ListMemories"
	}
	return ""
}

// spec is a memory's configuration.
type spec struct {
	MemoryName      string         `json:"memory_name"`
	Description     string         `json:"description,omitempty"`
	EventExpiryDays int            `json:"event_expiry_days,omitempty"`
	EncryptionKey   string         `json:"encryption_key,omitempty"`
	ExecutionRole   string         `json:"execution_role,omitempty"`
	Strategies      []strategySpec `json:"strategies,omitempty"`
	Name            string         `json:"name,omitempty"` // the key in agentcore.toml, for messages
}

type strategySpec struct {
	Type                string `json:"type" lua:"\"semantic\"|\"summary\"|\"user_preference\"|\"episodic\"|\"custom\""`
	Name                string `json:"name"`
	Description         string `json:"description,omitempty"`
	Namespace           string `json:"namespace,omitempty"`
	Extends             string `json:"extends,omitempty"`
	Model               string `json:"model,omitempty"`
	ExtractionPrompt    string `json:"extraction_prompt,omitempty"`
	ConsolidationPrompt string `json:"consolidation_prompt,omitempty"`
}

type createOpts struct {
	ClientToken string           `json:"client_token,omitempty"`
	Tags        engine.StringMap `json:"tags,omitempty"`
}

type updateOpts struct {
	ClientToken string `json:"client_token,omitempty"`
}

type waitOpts struct {
	Timeout  int `json:"timeout,omitempty"`
	Interval int `json:"interval,omitempty"`
}

// Memory is a memory as the service describes it.
type Memory struct {
	ID              string     `json:"id"`
	ARN             string     `json:"arn"`
	Name            string     `json:"name"`
	Status          string     `json:"status"`
	EventExpiryDays int        `json:"event_expiry_days"`
	Description     string     `json:"description,omitempty"`
	EncryptionKey   string     `json:"encryption_key,omitempty"`
	ExecutionRole   string     `json:"execution_role,omitempty"`
	FailureReason   string     `json:"failure_reason,omitempty"`
	Strategies      []Strategy `json:"strategies"`
	CreatedAt       string     `json:"created_at,omitempty"`
	UpdatedAt       string     `json:"updated_at,omitempty"`
}

// Strategy is one of a memory's strategies as the service describes it.
type Strategy struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	APIType     string   `json:"api_type"`
	Namespaces  []string `json:"namespaces"`
	Status      string   `json:"status,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Change is one difference between a memory and its configuration.
type Change struct {
	What     string `json:"what"`
	Action   string `json:"action"`
	Strategy string `json:"strategy,omitempty"`
	ID       string `json:"id,omitempty"`
	Was      string `json:"was,omitempty"`
	Now      string `json:"now,omitempty"`
}

type updateResult struct {
	Memory  *Memory  `json:"memory"`
	Changed bool     `json:"changed"`
	Changes []Change `json:"changes"`
}

// typeOf is agentcore.toml's word for AgentCore's MemoryStrategyType.
func typeOf(apiType string) string {
	for k, v := range proj.StrategyAPIType {
		if v == apiType {
			return k
		}
	}
	return strings.ToLower(apiType)
}

func timeString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fromAPI(m *types.Memory) *Memory {
	if m == nil {
		return nil
	}
	out := &Memory{ID: awssdk.ToString(m.Id), ARN: awssdk.ToString(m.Arn), Name: awssdk.ToString(m.Name),
		Status: string(m.Status), EventExpiryDays: int(awssdk.ToInt32(m.EventExpiryDuration)),
		Description: awssdk.ToString(m.Description), EncryptionKey: awssdk.ToString(m.EncryptionKeyArn),
		ExecutionRole: awssdk.ToString(m.MemoryExecutionRoleArn), FailureReason: awssdk.ToString(m.FailureReason),
		Strategies: []Strategy{}, CreatedAt: timeString(m.CreatedAt), UpdatedAt: timeString(m.UpdatedAt)}
	for _, s := range m.Strategies {
		ns := append([]string{}, s.NamespaceTemplates...)
		if len(ns) == 0 {
			ns = append(ns, s.Namespaces...)
		}
		out.Strategies = append(out.Strategies, Strategy{ID: awssdk.ToString(s.StrategyId), Name: awssdk.ToString(s.Name),
			Type: typeOf(string(s.Type)), APIType: string(s.Type), Namespaces: ns, Status: string(s.Status),
			Description: awssdk.ToString(s.Description)})
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func namespaces(s strategySpec) []string {
	if s.Namespace == "" {
		return nil
	}
	return []string{s.Namespace}
}

// strategyInput is the API's input for one strategy of the configuration.
func strategyInput(s strategySpec) (types.MemoryStrategyInput, error) {
	name, desc, ns := &s.Name, optional(s.Description), namespaces(s)
	// Both namespaceTemplates (the current field) and the legacy namespaces, with one value:
	// moto 5.2.1 knows only the legacy one (docs/moto-differences.md). The legacy field can go
	// when the emulator reads namespaceTemplates.
	switch s.Type {
	case "semantic":
		return &types.MemoryStrategyInputMemberSemanticMemoryStrategy{Value: types.SemanticMemoryStrategyInput{Name: name, Description: desc, NamespaceTemplates: ns, Namespaces: ns}}, nil
	case "summary":
		return &types.MemoryStrategyInputMemberSummaryMemoryStrategy{Value: types.SummaryMemoryStrategyInput{Name: name, Description: desc, NamespaceTemplates: ns, Namespaces: ns}}, nil
	case "user_preference":
		return &types.MemoryStrategyInputMemberUserPreferenceMemoryStrategy{Value: types.UserPreferenceMemoryStrategyInput{Name: name, Description: desc, NamespaceTemplates: ns, Namespaces: ns}}, nil
	case "episodic":
		return &types.MemoryStrategyInputMemberEpisodicMemoryStrategy{Value: types.EpisodicMemoryStrategyInput{Name: name, Description: desc, NamespaceTemplates: ns, Namespaces: ns}}, nil
	case "custom":
		cfg, err := customConfig(s)
		if err != nil {
			return nil, err
		}
		return &types.MemoryStrategyInputMemberCustomMemoryStrategy{Value: types.CustomMemoryStrategyInput{Name: name, Description: desc, NamespaceTemplates: ns, Namespaces: ns, Configuration: cfg}}, nil
	}
	return nil, engine.Usagef("use one of "+strings.Join(proj.StrategyTypes, ", "), "memory strategy %q: type %q is not known", s.Name, s.Type)
}

// customConfig overrides the steps of the built-in strategy a custom one extends with its
// prompts and model.
func customConfig(s strategySpec) (types.CustomConfigurationInput, error) {
	model, ext, con := optional(s.Model), optional(s.ExtractionPrompt), optional(s.ConsolidationPrompt)
	switch s.Extends {
	case "semantic":
		c := types.SemanticOverrideConfigurationInput{}
		if ext != nil {
			c.Extraction = &types.SemanticOverrideExtractionConfigurationInput{AppendToPrompt: ext, ModelId: model}
		}
		if con != nil {
			c.Consolidation = &types.SemanticOverrideConsolidationConfigurationInput{AppendToPrompt: con, ModelId: model}
		}
		return &types.CustomConfigurationInputMemberSemanticOverride{Value: c}, nil
	case "summary":
		if ext != nil {
			return nil, engine.Usagef("a summary strategy has a consolidation step only: use consolidation_prompt",
				"memory strategy %q: extraction_prompt is not taken by a custom strategy extending summary", s.Name)
		}
		return &types.CustomConfigurationInputMemberSummaryOverride{Value: types.SummaryOverrideConfigurationInput{
			Consolidation: &types.SummaryOverrideConsolidationConfigurationInput{AppendToPrompt: con, ModelId: model}}}, nil
	case "user_preference":
		c := types.UserPreferenceOverrideConfigurationInput{}
		if ext != nil {
			c.Extraction = &types.UserPreferenceOverrideExtractionConfigurationInput{AppendToPrompt: ext, ModelId: model}
		}
		if con != nil {
			c.Consolidation = &types.UserPreferenceOverrideConsolidationConfigurationInput{AppendToPrompt: con, ModelId: model}
		}
		return &types.CustomConfigurationInputMemberUserPreferenceOverride{Value: c}, nil
	case "episodic":
		c := types.EpisodicOverrideConfigurationInput{}
		if ext != nil {
			c.Extraction = &types.EpisodicOverrideExtractionConfigurationInput{AppendToPrompt: ext, ModelId: model}
		}
		if con != nil {
			c.Consolidation = &types.EpisodicOverrideConsolidationConfigurationInput{AppendToPrompt: con, ModelId: model}
		}
		return &types.CustomConfigurationInputMemberEpisodicOverride{Value: c}, nil
	}
	return nil, engine.Usagef("extends = semantic, summary, user_preference or episodic", "memory strategy %q: extends %q is not a built-in strategy", s.Name, s.Extends)
}

func (m *module) luaCreate(L *lua.LState, sp spec, o createOpts) (*Memory, error) {
	in := &control.CreateMemoryInput{Name: &sp.MemoryName, Description: optional(sp.Description),
		EncryptionKeyArn: optional(sp.EncryptionKey), MemoryExecutionRoleArn: optional(sp.ExecutionRole),
		ClientToken: optional(o.ClientToken), Tags: o.Tags}
	days := sp.EventExpiryDays
	if days == 0 {
		days = proj.DefaultEventExpiryDays
	}
	in.EventExpiryDuration = awssdk.Int32(int32(days))
	for _, s := range sp.Strategies {
		si, err := strategyInput(s)
		if err != nil {
			return nil, err
		}
		in.MemoryStrategies = append(in.MemoryStrategies, si)
	}
	out, err := awscall.Call(L, m.control, fmt.Sprintf("creating memory %s", sp.MemoryName), func(ctx context.Context, c api) (*control.CreateMemoryOutput, error) {
		return c.CreateMemory(ctx, in)
	})
	if err != nil {
		return nil, err
	}
	return fromAPI(out.Memory), nil
}

func (m *module) get(L *lua.LState, id string) (*Memory, error) {
	out, err := awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.GetMemoryOutput, error) {
		return c.GetMemory(ctx, &control.GetMemoryInput{MemoryId: &id})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.control.Error("getting memory "+id, err)
	}
	return fromAPI(out.Memory), nil
}

func (m *module) luaGet(L *lua.LState, id string) (*Memory, error) { return m.get(L, id) }

func (m *module) luaFind(L *lua.LState, name string) (*Memory, error) {
	var ids []string
	_, err := awscall.Call(L, m.control, "listing memories", func(ctx context.Context, c api) (struct{}, error) {
		p := control.NewListMemoriesPaginator(c, &control.ListMemoriesInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return struct{}{}, err
			}
			for _, s := range page.Memories {
				ids = append(ids, awssdk.ToString(s.Id))
			}
		}
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	// AWS makes a memory's id from its name and a suffix (NAME-abc123XYZ): those first.
	slices.SortStableFunc(ids, func(a, b string) int {
		pa, pb := strings.HasPrefix(a, name+"-"), strings.HasPrefix(b, name+"-")
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	for _, id := range ids {
		mem, err := m.get(L, id)
		var ee *engine.Error
		if errors.As(err, &ee) && ee.AWSCode == "AccessDeniedException" {
			continue // another project's memory, which these credentials may not read
		}
		if err != nil {
			return nil, err
		}
		if mem != nil && mem.Name == name {
			return mem, nil
		}
	}
	return nil, nil
}

// diff is what differs between live and the configuration sp.
func diff(live *Memory, sp spec) []Change {
	changes := []Change{}
	days := sp.EventExpiryDays
	if days == 0 {
		days = proj.DefaultEventExpiryDays
	}
	if live.EventExpiryDays != days {
		changes = append(changes, Change{What: "event_expiry_days", Action: "set", Was: fmt.Sprint(live.EventExpiryDays), Now: fmt.Sprint(days)})
	}
	if live.Description != sp.Description {
		changes = append(changes, Change{What: "description", Action: "set", Was: live.Description, Now: sp.Description})
	}
	if sp.ExecutionRole != "" && live.ExecutionRole != sp.ExecutionRole {
		changes = append(changes, Change{What: "execution_role", Action: "set", Was: live.ExecutionRole, Now: sp.ExecutionRole})
	}
	if sp.EncryptionKey != "" && live.EncryptionKey != sp.EncryptionKey {
		changes = append(changes, Change{What: "encryption_key", Action: "replace", Was: live.EncryptionKey, Now: sp.EncryptionKey})
	}
	// A strategy being deleted (DELETING) is gone already as far as the configuration goes:
	// a new one of its name is an add, and it is not deleted again.
	byName := map[string]Strategy{}
	for _, s := range live.Strategies {
		if s.Status != "DELETING" {
			byName[s.Name] = s
		}
	}
	want := map[string]bool{}
	for _, s := range sp.Strategies {
		want[s.Name] = true
		l, ok := byName[s.Name]
		switch {
		case !ok:
			changes = append(changes, Change{What: "strategy", Action: "add", Strategy: s.Name, Now: describe(s.Type, s.Namespace)})
		case l.Type != s.Type:
			changes = append(changes, Change{What: "strategy", Action: "replace", Strategy: s.Name, ID: l.ID,
				Was: describe(l.Type, strings.Join(l.Namespaces, ",")), Now: describe(s.Type, s.Namespace)})
		case s.Namespace != "" && !slices.Equal(l.Namespaces, []string{s.Namespace}) || l.Description != s.Description:
			changes = append(changes, Change{What: "strategy", Action: "modify", Strategy: s.Name, ID: l.ID,
				Was: describeFull(l.Type, strings.Join(l.Namespaces, ","), l.Description), Now: describeFull(s.Type, s.Namespace, s.Description)})
		}
	}
	for _, l := range live.Strategies {
		if !want[l.Name] && l.Status != "DELETING" {
			changes = append(changes, Change{What: "strategy", Action: "delete", Strategy: l.Name, ID: l.ID, Was: describe(l.Type, strings.Join(l.Namespaces, ","))})
		}
	}
	return changes
}

func describe(typ, ns string) string {
	if ns == "" {
		return typ
	}
	return typ + " " + ns
}

func describeFull(typ, ns, desc string) string {
	s := describe(typ, ns)
	if desc != "" {
		s += fmt.Sprintf(" (%q)", desc)
	}
	return s
}

func luaDiff(_ *lua.LState, live Memory, sp spec) ([]Change, error) { return diff(&live, sp), nil }

func (m *module) luaUpdate(L *lua.LState, id string, sp spec, o updateOpts) (updateResult, error) {
	live, err := m.get(L, id)
	if err != nil {
		return updateResult{}, err
	}
	if live == nil {
		return updateResult{}, engine.Failf(hint("ResourceNotFoundException", ""), "memory %s does not exist", id)
	}
	changes := diff(live, sp)
	res := updateResult{Memory: live, Changes: changes}
	if len(changes) == 0 {
		return res, nil
	}
	in := &control.UpdateMemoryInput{MemoryId: &id, ClientToken: optional(o.ClientToken)}
	ms := &types.ModifyMemoryStrategies{}
	specs := map[string]strategySpec{}
	for _, s := range sp.Strategies {
		specs[s.Name] = s
	}
	for _, ch := range changes {
		switch {
		case ch.Action == "replace" && ch.What == "encryption_key":
			return res, engine.Usagef("a memory's encryption key is set when it is made: keep encryption_key as it was, or give the memory another memory_name (a new, empty memory)",
				"memory %s (%s) is encrypted with %s, and the configuration names %s", sp.MemoryName, id, orNone(ch.Was), ch.Now)
		case ch.Action == "replace":
			return res, engine.Usagef("a strategy's type cannot change: give the new strategy another name (the old one is then deleted with its records, the memory's events are kept), or keep its type",
				"memory %s: strategy %q is %s in AgentCore and %s in the configuration", sp.MemoryName, ch.Strategy, ch.Was, ch.Now)
		case ch.What == "event_expiry_days":
			in.EventExpiryDuration = awssdk.Int32(int32(sp.EventExpiryDays))
			if sp.EventExpiryDays == 0 {
				in.EventExpiryDuration = awssdk.Int32(int32(proj.DefaultEventExpiryDays))
			}
		case ch.What == "description":
			in.Description = awssdk.String(sp.Description)
		case ch.What == "execution_role":
			in.MemoryExecutionRoleArn = awssdk.String(sp.ExecutionRole)
		case ch.Action == "add":
			si, err := strategyInput(specs[ch.Strategy])
			if err != nil {
				return res, err
			}
			ms.AddMemoryStrategies = append(ms.AddMemoryStrategies, si)
		case ch.Action == "modify":
			s := specs[ch.Strategy]
			ms.ModifyMemoryStrategies = append(ms.ModifyMemoryStrategies, types.ModifyMemoryStrategyInput{
				MemoryStrategyId: awssdk.String(ch.ID), Description: awssdk.String(s.Description), NamespaceTemplates: namespaces(s), Namespaces: namespaces(s)})
		case ch.Action == "delete":
			ms.DeleteMemoryStrategies = append(ms.DeleteMemoryStrategies, types.DeleteMemoryStrategyInput{MemoryStrategyId: awssdk.String(ch.ID)})
		}
	}
	if len(ms.AddMemoryStrategies)+len(ms.ModifyMemoryStrategies)+len(ms.DeleteMemoryStrategies) > 0 {
		in.MemoryStrategies = ms
	}
	out, err := awscall.Call(L, m.control, fmt.Sprintf("updating memory %s (%s)", sp.MemoryName, id), func(ctx context.Context, c api) (*control.UpdateMemoryOutput, error) {
		return c.UpdateMemory(ctx, in)
	})
	if err != nil {
		return res, err
	}
	res.Memory, res.Changed = fromAPI(out.Memory), true
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "AgentCore's own key"
	}
	return s
}

func (m *module) luaWait(L *lua.LState, id string, o waitOpts) (*Memory, error) {
	run := engine.FromL(L)
	branch := run.Branch(L)
	timeout, interval := 10*time.Minute, 3*time.Second
	if o.Timeout > 0 {
		timeout = time.Duration(o.Timeout) * time.Second
	}
	if o.Interval > 0 {
		interval = time.Duration(o.Interval) * time.Second
	}
	deadline := time.Now().Add(timeout)
	pause, last := 50*time.Millisecond, "" // the local endpoint takes 100 ms; AWS minutes
	for {
		mem, err := m.get(L, id)
		if err != nil {
			return nil, err
		}
		if mem == nil {
			if last != "" && last != "DELETING" {
				return nil, engine.Failf("", "memory %s disappeared while %s", id, last)
			}
			return nil, nil
		}
		if mem.Status != last {
			run.Out.Info(branch, fmt.Sprintf("memory %s: %s", mem.Name, mem.Status))
			last = mem.Status
		}
		switch mem.Status {
		case string(types.MemoryStatusActive):
			return mem, nil
		case string(types.MemoryStatusFailed):
			return nil, engine.Failf("read the reason, fix [memories] in agentcore.toml and deploy again",
				"memory %s (%s) is FAILED: %s", mem.Name, id, orDefault(mem.FailureReason, "AgentCore gave no failure reason"))
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, engine.Failf("it may still finish: run the command again later", "timed out after %s waiting for memory %s (last status %s)", timeout, id, last)
		}
		if _, err := engine.Unlocked(L, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, engine.Sleep(ctx, min(pause, left))
		}); err != nil {
			return nil, fmt.Errorf("waiting for memory %s: %w", id, err)
		}
		pause = min(pause*2, interval)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (m *module) luaDelete(L *lua.LState, id string, o createOpts) (bool, error) {
	_, err := awscall.Try(L, m.control, func(ctx context.Context, c api) (*control.DeleteMemoryOutput, error) {
		return c.DeleteMemory(ctx, &control.DeleteMemoryInput{MemoryId: &id, ClientToken: optional(o.ClientToken)})
	})
	if awscall.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, m.control.Error("deleting memory "+id, err)
	}
	return true, nil
}
