package gateway

import (
	"encoding/json"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// jsonSchema is the part of a JSON Schema AgentCore's SchemaDefinition holds.
type jsonSchema struct {
	Type        string                `json:"type"`
	Description string                `json:"description"`
	Properties  map[string]jsonSchema `json:"properties"`
	Items       *jsonSchema           `json:"items"`
	Required    []string              `json:"required"`
}

type jsonTool struct {
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	InputSchema  *jsonSchema `json:"inputSchema"`
	OutputSchema *jsonSchema `json:"outputSchema"`
}

// decodeToolDefs reads a JSON array of MCP tool definitions into the API's typed ones.
func decodeToolDefs(data []byte, out *[]types.ToolDefinition) error {
	var tools []jsonTool
	if err := json.Unmarshal(data, &tools); err != nil {
		return err
	}
	for _, t := range tools {
		if t.InputSchema == nil {
			return fmt.Errorf("tool %q has no inputSchema", t.Name)
		}
		in, err := schemaDef(*t.InputSchema, t.Name+".inputSchema")
		if err != nil {
			return err
		}
		d := types.ToolDefinition{Name: awssdk.String(t.Name), Description: awssdk.String(t.Description), InputSchema: in}
		if t.OutputSchema != nil {
			if d.OutputSchema, err = schemaDef(*t.OutputSchema, t.Name+".outputSchema"); err != nil {
				return err
			}
		}
		*out = append(*out, d)
	}
	return nil
}

func schemaDef(s jsonSchema, where string) (*types.SchemaDefinition, error) {
	ok := false
	for _, v := range types.SchemaTypeString.Values() {
		ok = ok || string(v) == s.Type
	}
	if !ok {
		return nil, fmt.Errorf("%s: type %q is not one of string, number, integer, boolean, object, array", where, s.Type)
	}
	d := &types.SchemaDefinition{Type: types.SchemaType(s.Type), Required: s.Required}
	if s.Description != "" {
		d.Description = awssdk.String(s.Description)
	}
	if s.Items != nil {
		items, err := schemaDef(*s.Items, where+".items")
		if err != nil {
			return nil, err
		}
		d.Items = items
	}
	if len(s.Properties) > 0 {
		d.Properties = map[string]types.SchemaDefinition{}
		for k, p := range s.Properties {
			pd, err := schemaDef(p, where+".properties."+k)
			if err != nil {
				return nil, err
			}
			d.Properties[k] = *pd
		}
	}
	return d, nil
}
