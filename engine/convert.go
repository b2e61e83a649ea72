package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/project"
)

// This file is the one table⇄struct conversion of every builtin:
//
//   - ToLua turns a Go value (an SDK output, a struct with json tags, maps and slices) into
//     Lua tables shaped like the AWS API's JSON: members named as in the API (the Go field
//     name with its first letter lowered, agentRuntimeId, or the json tag when there is one),
//     enums as strings, times as RFC 3339 strings, unions as {memberName = value}, nil members
//     left out, and zero values of fields tagged omitempty left out.
//   - ToGo turns a Lua value into plain Go data (for JSON results, diff, encoding).
//   - Decode fills a Go struct from a Lua table through JSON and the struct's json tags,
//     strictly: an unknown key is an error that names the known ones and the closest. The
//     typed binding (bind.go) decodes a builtin's table arguments with it.

// ToLua converts v to a Lua value. It must be called with the interpreter lock held.
func ToLua(L *lua.LState, v any) lua.LValue {
	return toLua(L, reflect.ValueOf(v))
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

func toLua(L *lua.LState, v reflect.Value) lua.LValue {
	if !v.IsValid() {
		return lua.LNil
	}
	if lv, ok := v.Interface().(lua.LValue); ok {
		return lv
	}
	if n, ok := v.Interface().(json.Number); ok { // json.decode keeps numbers exact
		f, _ := n.Float64()
		return lua.LNumber(f)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return lua.LNil
		}
		return toLua(L, v.Elem())
	}
	switch v.Type() {
	case timeType:
		return lua.LString(v.Interface().(time.Time).UTC().Format(time.RFC3339))
	case durationType:
		return lua.LNumber(v.Interface().(time.Duration).Seconds())
	}
	switch v.Kind() {
	case reflect.String:
		return lua.LString(v.String())
	case reflect.Bool:
		return lua.LBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lua.LNumber(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return lua.LNumber(v.Uint())
	case reflect.Float32, reflect.Float64:
		return lua.LNumber(v.Float())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return lua.LNil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return lua.LString(string(v.Bytes()))
		}
		t := NewList(L, v.Len())
		for i := 0; i < v.Len(); i++ {
			t.Append(toLua(L, v.Index(i)))
		}
		return t
	case reflect.Map:
		if v.IsNil() {
			return lua.LNil
		}
		t := L.CreateTable(0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			t.RawSetString(fmt.Sprint(iter.Key().Interface()), toLua(L, iter.Value()))
		}
		return t
	case reflect.Struct:
		return structToLua(L, v)
	}
	return lua.LNil // funcs, channels, readers: nothing a script can use
}

func structToLua(L *lua.LState, v reflect.Value) lua.LValue {
	typ := v.Type()
	// An SDK union member (types.AgentRuntimeArtifactMemberContainerConfiguration{Value: ...})
	// is written the way the API writes it: {containerConfiguration = {...}}.
	if i := strings.Index(typ.Name(), "Member"); i > 0 {
		if f, ok := typ.FieldByName("Value"); ok && len(f.Index) == 1 {
			t := L.CreateTable(0, 1)
			t.RawSetString(lowerFirst(typ.Name()[i+len("Member"):]), toLua(L, v.FieldByIndex(f.Index)))
			return t
		}
	}
	t := L.CreateTable(0, typ.NumField())
	structFields(typ, nil, func(name string, index []int, omitEmpty bool) {
		fv := v.FieldByIndex(index)
		if omitEmpty && fv.IsZero() {
			return
		}
		if lv := toLua(L, fv); lv != lua.LNil {
			t.RawSetString(name, lv)
		}
	})
	return t
}

// lowerFirst turns a Go field name back into the API's member name: AgentRuntimeId →
// agentRuntimeId, KMSKeyId → kmsKeyId. A name that is one acronym (SSM's ARN) stays as it is,
// as the API spells it so.
func lowerFirst(s string) string {
	upper := 0
	for upper < len(s) && unicode.IsUpper(rune(s[upper])) {
		upper++
	}
	switch {
	case upper == len(s) && len(s) > 1:
		return s
	case upper <= 1:
		r, n := utf8.DecodeRuneInString(s)
		return string(unicode.ToLower(r)) + s[n:]
	default: // an acronym, then a word: KMSKeyId
		return strings.ToLower(s[:upper-1]) + s[upper-1:]
	}
}

// ToGo converts a Lua value to plain Go data: nil, bool, int64 (whole numbers) or float64,
// string, []any (tables that are sequences 1..n, and empty tables marked as lists: see
// IsList) and map[string]any (other tables, an unmarked empty table included). Functions
// become nil. Cycles and absurd nesting are an error.
func ToGo(lv lua.LValue) (any, error) {
	return toGo(lv, 0, false)
}

// toGo converts lv; with emptyNil an empty table becomes nil, which JSON decodes into a slice,
// a map or a struct alike (an empty Lua table is both {} and []).
func toGo(lv lua.LValue, depth int, emptyNil bool) (any, error) {
	if depth > 64 {
		return nil, errors.New("table nested too deeply (does it contain itself?)")
	}
	switch v := lv.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case lua.LString:
		return string(v), nil
	case *lua.LFunction:
		return nil, nil
	case *lua.LTable:
		n := v.Len()
		count := 0
		v.ForEach(func(_, _ lua.LValue) { count++ })
		if count == 0 && emptyNil {
			return nil, nil
		}
		if count == 0 && IsList(v) {
			return []any{}, nil
		}
		if n > 0 && n == count {
			arr := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				x, err := toGo(v.RawGetInt(i), depth+1, emptyNil)
				if err != nil {
					return nil, err
				}
				arr = append(arr, x)
			}
			return arr, nil
		}
		m := make(map[string]any, count)
		var ferr error
		v.ForEach(func(k, val lua.LValue) {
			if ferr != nil {
				return
			}
			x, err := toGo(val, depth+1, emptyNil)
			if err != nil {
				ferr = err
				return
			}
			m[k.String()] = x
		})
		return m, ferr
	default:
		return "<" + lv.Type().String() + ">", nil
	}
}

// Decode fills out (a pointer to a struct with json tags) from a Lua value, via JSON. An
// empty table decodes as null (a StringMap or StringList then becomes empty, not nil).
// Unknown keys are an error naming the known ones, so a misspelt option is reported, not
// ignored.
//
// A struct field tagged `lua:"items"` (with json:"-") receives the table's list part (keys
// 1..n), as in exec.run{"go", "test", dir = "."}; the other keys fill the other fields.
func Decode(lv lua.LValue, out any) error {
	if tb, ok := lv.(*lua.LTable); ok {
		if i, ok := itemsField(reflect.TypeOf(out)); ok && tb.Len() > 0 {
			list, rest := splitItems(tb)
			if err := Decode(list, reflect.ValueOf(out).Elem().Field(i).Addr().Interface()); err != nil {
				return err
			}
			lv = rest
		}
	}
	g, err := toGo(lv, 0, true)
	if err != nil {
		return err
	}
	if err := checkKeys(g, reflect.TypeOf(out), ""); err != nil {
		return err
	}
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return explainDecode(err, out)
	}
	return nil
}

// itemsField returns the index of the `lua:"items"` field of the struct *t points to.
func itemsField(t reflect.Type) (int, bool) {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	t = t.Elem()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("lua") == "items" {
			return i, true
		}
	}
	return 0, false
}

// splitItems splits a table into its list part (1..n) and the rest.
func splitItems(tb *lua.LTable) (list, rest *lua.LTable) {
	list, rest = &lua.LTable{}, &lua.LTable{}
	n := tb.Len()
	tb.ForEach(func(k, v lua.LValue) {
		if i, ok := k.(lua.LNumber); ok && float64(i) == math.Trunc(float64(i)) && int(i) >= 1 && int(i) <= n {
			return
		}
		rest.RawSet(k, v)
	})
	for i := 1; i <= n; i++ {
		list.RawSetInt(i, tb.RawGetInt(i))
	}
	return list, rest
}

func explainDecode(err error, out any) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := te.Type.String()
		if te.Type.Kind() == reflect.Bool {
			want = "boolean"
		}
		switch te.Type.Kind() {
		case reflect.Map, reflect.Struct:
			want = "table"
		case reflect.Slice:
			want = "list"
		case reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
			want = "number"
		case reflect.String:
			want = "string"
		}
		got := te.Value
		switch got {
		case "object", "array":
			got = "table"
		}
		if te.Field == "" {
			return fmt.Errorf("expected a %s, got a %s", want, got)
		}
		return fmt.Errorf("option %s: expected a %s, got a %s", te.Field, want, got)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name := strings.Trim(rest, `"`)
		known := jsonNames(reflect.TypeOf(out))
		hint := ""
		if s := project.Closest(name, known); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return fmt.Errorf("unknown option %q%s; known options: %s", name, hint, strings.Join(known, ", "))
	}
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

func jsonNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for name := range jsonFields(t) {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

var stringListType = reflect.TypeOf(StringList(nil))

// checkKeys walks decoded Lua data against the struct it will fill, to report an unknown key
// or a wrong list item with its full path (auth.user, tags[2]), which encoding/json cannot.
func checkKeys(g any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch {
	case t == stringListType:
		if items, ok := g.([]any); ok {
			for i, it := range items {
				switch it.(type) {
				case string, int64, float64, bool:
				default:
					return fmt.Errorf("option %s[%d] must be a string, got %s", path, i+1, goTypeName(it))
				}
			}
		}
	case t.Kind() == reflect.Struct && t != timeType:
		m, ok := g.(map[string]any)
		if !ok {
			return nil // a type error, reported by the decoder
		}
		fields := map[string]reflect.Type{}
		var known []string
		for tag, f := range jsonFields(t) {
			fields[tag] = f.Type
			known = append(known, tag)
		}
		sort.Strings(known)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				hint := ""
				if s := project.Closest(k, known); s != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", s)
				}
				where := "known options"
				if path != "" {
					where = "known options of " + path
				}
				return fmt.Errorf("unknown option %q%s; %s: %s", name(k), hint, where, strings.Join(known, ", "))
			}
			if err := checkKeys(m[k], ft, name(k)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice && t != stringListType:
		if items, ok := g.([]any); ok {
			for i, it := range items {
				if err := checkKeys(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i+1)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jsonFields returns the json-tagged fields of the struct type t by their tag name, the
// fields of embedded structs without a tag included (encoding/json flattens them alike).
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			for name, ef := range jsonFields(f.Type) {
				if _, shadowed := out[name]; !shadowed {
					out[name] = ef
				}
			}
			continue
		}
		if tag != "" && tag != "-" {
			out[tag] = f
		}
	}
	return out
}

func goTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case string:
		return "a string"
	}
	return "a table"
}

// StringMap is a map option (env vars, tags) that accepts numbers and booleans as values
// (env = {PORT = 8080}) and tells "given as {}" (empty, non-nil) from "not given" (nil).
type StringMap map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (m *StringMap) UnmarshalJSON(b []byte) error {
	if string(b) == "null" { // an empty Lua table
		*m = StringMap{}
		return nil
	}
	var raw map[string]any
	if err := unmarshalNumbers(b, &raw); err != nil {
		return errors.New("expected a table of name = value")
	}
	out := make(StringMap, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number, bool:
			out[k] = fmt.Sprint(v)
		default:
			return fmt.Errorf("value of %q: expected a string, got a table", k)
		}
	}
	*m = out
	return nil
}

// unmarshalNumbers is json.Unmarshal keeping numbers as written (json.Number), so that
// 1000000 stays "1000000" as text, not "1e+06".
func unmarshalNumbers(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(out)
}

// StringList is a list option that also accepts a single string and an empty table; numbers
// and booleans in it are taken as their text, as in a StringMap.
type StringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *StringList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = StringList{}
		return nil
	}
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = StringList{one}
		return nil
	}
	var many []any
	if err := unmarshalNumbers(b, &many); err != nil {
		return errors.New("expected a list of strings")
	}
	out := make(StringList, 0, len(many))
	for i, v := range many {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case json.Number, bool:
			out = append(out, fmt.Sprint(v))
		default:
			return fmt.Errorf("item %d: expected a string, got a table", i+1)
		}
	}
	*l = out
	return nil
}

// OptionsArg decodes the optional options table at argument n of the builtin fn
// ("ecr.ensure_repository") into out with Decode, raising a usage error (exit 2) that names
// the function when the argument is not a table or does not decode. nil leaves out untouched.
// It is for raw (Fn) builtins that take a callback beside their options; a Go-bound builtin
// receives the decoded struct as its parameter.
func OptionsArg(L *lua.LState, n int, fn string, out any) {
	v := L.Get(n)
	if v == lua.LNil {
		return
	}
	if _, ok := v.(*lua.LTable); !ok {
		RaiseUsage(L, "", "%s: argument #%d (options) must be a table, got a %s", fn, n, v.Type())
	}
	if err := Decode(v, out); err != nil {
		RaiseUsage(L, "", "%s: %v", fn, err)
	}
}

func describeValue(v lua.LValue) string {
	if s, ok := v.(lua.LString); ok && s == "" {
		return "an empty string"
	}
	return "a " + v.Type().String()
}
