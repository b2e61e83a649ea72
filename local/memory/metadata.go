package memory

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// metaFilter is EventMetadataFilterExpression and MemoryMetadataFilterExpression: a key, an
// operator and, for the comparing operators, a value.
type metaFilter struct {
	Left *struct {
		MetadataKey *string `json:"metadataKey,omitempty"`
	} `json:"left"`
	Operator string `json:"operator"`
	Right    *struct {
		MetadataValue *metaValue `json:"metadataValue,omitempty"`
	} `json:"right,omitempty"`
}

// metaValue is MemoryRecordMetadataValue (an event's MetadataValue has stringValue only).
type metaValue struct {
	StringValue     *string         `json:"stringValue,omitempty"`
	StringListValue []string        `json:"stringListValue,omitempty"`
	NumberValue     *float64        `json:"numberValue,omitempty"`
	DateTimeValue   *awsproto.Epoch `json:"dateTimeValue,omitempty"`
}

var operators = map[string]bool{"EQUALS_TO": true, "EXISTS": true, "NOT_EXISTS": true, "BEFORE": true, "AFTER": true,
	"CONTAINS": true, "GREATER_THAN": true, "GREATER_THAN_OR_EQUALS": true, "LESS_THAN": true, "LESS_THAN_OR_EQUALS": true}

func (f metaFilter) check(field string) *apiError {
	c := &check{}
	if f.Left == nil || f.Left.MetadataKey == nil {
		return fieldMissing(field + ".left.metadataKey")
	}
	c.str(field+".left.metadataKey", *f.Left.MetadataKey, 1, 128, metaKeyPattern)
	if !operators[f.Operator] {
		c.fail(fieldInvalid(field+".operator", f.Operator, "Member must satisfy enum value set: [EQUALS_TO, EXISTS, NOT_EXISTS, BEFORE, AFTER, CONTAINS, GREATER_THAN, GREATER_THAN_OR_EQUALS, LESS_THAN, LESS_THAN_OR_EQUALS]"))
	}
	if f.Operator != "EXISTS" && f.Operator != "NOT_EXISTS" && (f.Right == nil || f.Right.MetadataValue == nil) {
		c.fail(validationf("%s: operator %s needs right.metadataValue", field, f.Operator))
	}
	return c.errs
}

// matchMetadata reports whether metadata (a JSON map of values) passes every filter.
func matchMetadata(raw json.RawMessage, filters []metaFilter) bool {
	var m map[string]metaValue
	json.Unmarshal(raw, &m)
	for _, f := range filters {
		v, ok := m[*f.Left.MetadataKey]
		var want *metaValue
		if f.Right != nil {
			want = f.Right.MetadataValue
		}
		if !matchOne(f.Operator, v, ok, want) {
			return false
		}
	}
	return true
}

// matchRecordMetadata is matchMetadata for records.
var matchRecordMetadata = matchMetadata

func matchOne(op string, v metaValue, ok bool, want *metaValue) bool {
	switch op {
	case "EXISTS":
		return ok
	case "NOT_EXISTS":
		return !ok
	}
	if !ok || want == nil {
		return false
	}
	switch op {
	case "EQUALS_TO":
		switch {
		case want.StringValue != nil:
			return v.StringValue != nil && *v.StringValue == *want.StringValue
		case want.NumberValue != nil:
			return v.NumberValue != nil && *v.NumberValue == *want.NumberValue
		case want.DateTimeValue != nil:
			return v.DateTimeValue != nil && time.Time(*v.DateTimeValue).Equal(time.Time(*want.DateTimeValue))
		case want.StringListValue != nil:
			return strings.Join(v.StringListValue, "\x00") == strings.Join(want.StringListValue, "\x00")
		}
	case "CONTAINS":
		if want.StringValue == nil {
			return false
		}
		if v.StringValue != nil {
			return strings.Contains(*v.StringValue, *want.StringValue)
		}
		for _, s := range v.StringListValue {
			if s == *want.StringValue {
				return true
			}
		}
	case "BEFORE", "AFTER":
		if v.DateTimeValue == nil || want.DateTimeValue == nil {
			return false
		}
		a, b := time.Time(*v.DateTimeValue), time.Time(*want.DateTimeValue)
		return (op == "BEFORE" && a.Before(b)) || (op == "AFTER" && a.After(b))
	case "GREATER_THAN", "GREATER_THAN_OR_EQUALS", "LESS_THAN", "LESS_THAN_OR_EQUALS":
		if v.NumberValue == nil || want.NumberValue == nil {
			return false
		}
		a, b := *v.NumberValue, *want.NumberValue
		switch op {
		case "GREATER_THAN":
			return a > b
		case "GREATER_THAN_OR_EQUALS":
			return a >= b
		case "LESS_THAN":
			return a < b
		}
		return a <= b
	}
	return false
}

// checkRecordMetadata checks a MemoryRecordMetadataMap: 1 to 20 keys, each value one member
// of the union.
func checkRecordMetadata(field string, raw json.RawMessage) *apiError {
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return validationf("%s: %v", field, err)
	}
	c := &check{}
	c.count(field, len(m), 1, 20)
	for k, v := range m {
		c.str(field+".key", k, 1, 128, metaKeyPattern)
		if len(v) != 1 {
			c.fail(validationf("%s.%s must set exactly one of stringValue, stringListValue, numberValue, dateTimeValue", field, k))
		}
		for member := range v {
			switch member {
			case "stringValue", "stringListValue", "numberValue", "dateTimeValue":
			default:
				c.fail(validationf("%s.%s: unknown member %q", field, k, member))
			}
		}
	}
	return c.errs
}
