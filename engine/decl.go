package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"unicode"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/project"
)

// This file is the typed declaration of every Lua-callable function: a Func declares its
// parameters and results in LuaLS's type notation ("name: string, opts?: ui.ErrorOpts"), a
// Class declares an option or result table. The same parsed declaration
//
//   - validates every call before the Go function runs (checked): a wrong type, a missing
//     argument or an unknown option key is a usage error (exit 2) naming the function, the
//     argument and the field;
//   - generates docs/reference.md and the LuaLS stubs (agentcore docs).
//
// Types: nil any string number integer boolean table function, "literal", T[] (a list),
// table<K, V>, A|B, fun(...) (a function), (T), and class names (Module.Classes, or the
// engine's own). A string parameter also takes a number, as Lua converts one to the other.

// Param is one declared parameter, result or class field.
type Param struct {
	Name     string // "..." for the rest of the arguments
	Type     *Type
	Optional bool // may be nil
}

// Class is a named table shape: the options a function takes or the table it returns. Its
// fields come from Fields, or from Of (then Fields adds what the struct cannot hold), a struct whose json-tagged fields are the table's keys
// (the struct the builtin's Go function takes or returns, so that declaration and decoding
// cannot disagree; the fields of an embedded struct without a json tag are the table's own).
// A `lua:"TYPE"` tag gives a field's type where Go's cannot say it. A field is required unless
// its json tag says omitempty (`json:"tags,omitempty"`): the one place "required" is said,
// for the run-time check, the reference and the LuaLS stubs; in results, omitempty also
// leaves the field out when it holds its zero value, as encoding/json does.
type Class struct {
	Name   string // "docker.BuildOpts"
	Doc    string
	Fields string // "hint?: string, usage?: boolean, code?: integer"
	Of     any    // a struct value, instead of Fields
	Open   bool   // other keys are allowed (and not checked)
	Items  string // the type of its list part (keys 1..n), for tables such as {"go", "test", dir = "."}

	fields []Param
	items  *Type
}

// ItemType returns the type of the class's list part, or nil.
func (c *Class) ItemType() *Type { return c.items }

// FieldList returns the class's parsed fields.
func (c *Class) FieldList() []Param { return c.fields }

// Type is a parsed type expression.
type Type struct {
	Kind  TypeKind
	Name  string  // primitive or class name, literal value
	Elem  *Type   // list element, map value
	Key   *Type   // map key
	Alts  []*Type // union members
	Class *Class  // resolved class
	Text  string  // as written (LuaLS notation)
}

// TypeKind says which kind of type expression a Type is.
type TypeKind int

// The kinds of Type.
const (
	KPrim TypeKind = iota
	KLiteral
	KList
	KMap
	KUnion
	KClass
	KFun
)

var primitives = map[string]bool{"nil": true, "any": true, "string": true, "number": true, "integer": true,
	"boolean": true, "table": true, "function": true, "userdata": true, "thread": true}

// typeParser parses one declaration string.
type typeParser struct {
	s   string
	pos int
	ctx string // for panics: which declaration
}

func (p *typeParser) fail(format string, args ...any) {
	panic(fmt.Sprintf("engine: bad type declaration %s %q at %d: %s", p.ctx, p.s, p.pos, fmt.Sprintf(format, args...)))
}

func (p *typeParser) ws() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

func (p *typeParser) peek(tok string) bool {
	p.ws()
	return strings.HasPrefix(p.s[p.pos:], tok)
}

func (p *typeParser) eat(tok string) bool {
	if p.peek(tok) {
		p.pos += len(tok)
		return true
	}
	return false
}

func (p *typeParser) ident() string {
	p.ws()
	start := p.pos
	for p.pos < len(p.s) {
		c := rune(p.s[p.pos])
		if c == '_' || c == '.' || unicode.IsLetter(c) || unicode.IsDigit(c) {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *typeParser) union() *Type {
	start := p.pos
	alts := []*Type{p.postfix()}
	for p.eat("|") {
		alts = append(alts, p.postfix())
	}
	text := strings.TrimSpace(p.s[start:p.pos])
	if len(alts) == 1 {
		return alts[0]
	}
	return &Type{Kind: KUnion, Alts: alts, Text: text}
}

func (p *typeParser) postfix() *Type {
	p.ws()
	start := p.pos
	t := p.primary()
	for p.eat("[]") {
		t = &Type{Kind: KList, Elem: t, Text: strings.TrimSpace(p.s[start:p.pos])}
	}
	return t
}

func (p *typeParser) primary() *Type {
	p.ws()
	start := p.pos
	switch {
	case p.eat("("):
		t := p.union()
		if !p.eat(")") {
			p.fail("missing )")
		}
		return &Type{Kind: t.Kind, Name: t.Name, Elem: t.Elem, Key: t.Key, Alts: t.Alts, Text: p.s[start:p.pos]}
	case p.eat(`"`):
		end := strings.IndexByte(p.s[p.pos:], '"')
		if end < 0 {
			p.fail("unterminated literal")
		}
		v := p.s[p.pos : p.pos+end]
		p.pos += end + 1
		return &Type{Kind: KLiteral, Name: v, Text: p.s[start:p.pos]}
	case p.eat("fun("):
		depth := 1
		for p.pos < len(p.s) && depth > 0 {
			switch p.s[p.pos] {
			case '(':
				depth++
			case ')':
				depth--
			}
			p.pos++
		}
		if depth != 0 {
			p.fail("missing )")
		}
		if p.eat(":") {
			p.postfix() // the result type, for the docs only
			p.eat("?")  // fun(): boolean? (an optional result)
		}
		return &Type{Kind: KFun, Name: "function", Text: p.s[start:p.pos]}
	case p.eat("table<"):
		k := p.union()
		if !p.eat(",") {
			p.fail("table<K, V> needs a comma")
		}
		v := p.union()
		if !p.eat(">") {
			p.fail("missing >")
		}
		return &Type{Kind: KMap, Key: k, Elem: v, Text: p.s[start:p.pos]}
	}
	name := p.ident()
	if name == "" {
		p.fail("expected a type")
	}
	if primitives[name] {
		return &Type{Kind: KPrim, Name: name, Text: name}
	}
	if name == "true" || name == "false" {
		return &Type{Kind: KLiteral, Name: name, Text: name}
	}
	return &Type{Kind: KClass, Name: name, Text: name}
}

// parseParams parses "a: string, b?: T, ...: any"; with results, a bare type ("string?") is
// a result without a name.
func parseParams(s, ctx string, results bool) []Param {
	p := &typeParser{s: s, ctx: ctx}
	var out []Param
	for {
		p.ws()
		if p.pos >= len(p.s) {
			break
		}
		var prm Param
		save := p.pos
		name := ""
		if p.eat("...") {
			name = "..."
		} else {
			name = p.ident()
		}
		opt := false
		if name != "" && p.eat("?") {
			opt = true
		}
		if name != "" && p.eat(":") {
			prm.Name, prm.Optional = name, opt
		} else if results {
			p.pos = save
		} else {
			p.fail("expected name: type")
		}
		prm.Type = p.union()
		if p.eat("?") {
			prm.Optional = true
		}
		out = append(out, prm)
		if !p.eat(",") {
			break
		}
	}
	p.ws()
	if p.pos != len(p.s) {
		p.fail("unexpected text")
	}
	return out
}

// resolve binds class names to classes, panicking (a programming error, caught by the
// registry's tests) on an unknown one.
func resolve(t *Type, classes map[string]*Class, ctx string) {
	if t == nil {
		return
	}
	if t.Kind == KClass {
		c, ok := classes[t.Name]
		if !ok {
			panic(fmt.Sprintf("engine: %s: unknown type %q", ctx, t.Name))
		}
		t.Class = c
	}
	resolve(t.Elem, classes, ctx)
	resolve(t.Key, classes, ctx)
	for _, a := range t.Alts {
		resolve(a, classes, ctx)
	}
}

var (
	stringMapT  = reflect.TypeOf(StringMap(nil))
	luaValueT   = reflect.TypeOf((*lua.LValue)(nil)).Elem()
	unmarshaler = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// deriving collects the classes that deriving one class from a struct gives rise to.
type deriving struct {
	extra []*Class
	// known maps the structs that classes of the module are derived from (Of) to their names,
	// so that a field of such a type refers to that class instead of a nested copy.
	known map[reflect.Type]string
}

// classFromStruct derives the fields of c from the json-tagged fields of t; nested structs
// become classes named after c and the field (agentcore.RuntimeSpecLifecycle), added to
// d.extra. A field is required unless its json tag says omitempty.
func classFromStruct(c *Class, t reflect.Type, d *deriving) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, tagOpts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			classFromStruct(c, f.Type, d) // embedded: its fields are the table's own
			continue
		}
		if f.Tag.Get("lua") == "items" { // the list part (see Decode)
			p := &typeParser{s: goLuaType(f.Type.Elem(), c.Name+"Item", d, c.Name+"[]"), ctx: c.Name + "[]"}
			c.items = p.union()
			continue
		}
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		typ := f.Tag.Get("lua")
		if strings.HasSuffix(typ, ",required") {
			panic(fmt.Sprintf(`engine: %s.%s: a field is required unless its json tag says omitempty: drop ",required" from its lua tag`, c.Name, tag))
		}
		optional := strings.Contains(","+tagOpts+",", ",omitempty,")
		if typ == "" {
			typ = goLuaType(f.Type, c.Name+exportName(tag), d, c.Name+"."+tag)
		}
		p := &typeParser{s: typ, ctx: c.Name + "." + tag}
		c.fields = append(c.fields, Param{Name: tag, Type: p.union(), Optional: optional})
	}
}

func exportName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func goLuaType(t reflect.Type, nested string, d *deriving, ctx string) string {
	switch t {
	case stringMapT:
		return "table<string, string|number|boolean>"
	case stringListType:
		return "string|string[]"
	case timeType:
		return "string"
	case luaValueT:
		return "any"
	}
	if t.Kind() != reflect.Pointer && t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		panic(fmt.Sprintf("engine: %s: %s decodes itself: give its Lua type with a lua:\"TYPE\" tag", ctx, t))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return goLuaType(t.Elem(), nested, d, ctx)
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Interface:
		return "any"
	case reflect.Slice, reflect.Array:
		e := goLuaType(t.Elem(), nested, d, ctx)
		if strings.ContainsAny(e, "|") {
			e = "(" + e + ")"
		}
		return e + "[]"
	case reflect.Map:
		return "table<" + goLuaType(t.Key(), nested, d, ctx) + ", " + goLuaType(t.Elem(), nested, d, ctx) + ">"
	case reflect.Struct:
		if name, ok := d.known[t]; ok {
			return name
		}
		nc := &Class{Name: nested}
		classFromStruct(nc, t, d)
		d.extra = append(d.extra, nc)
		return nested
	}
	panic(fmt.Sprintf("engine: %s: no Lua type for %s", ctx, t))
}

// decl is a Func's parsed declaration.
type decl struct {
	params, results []Param
}

// prepareClasses parses classes (deriving fields from structs) and returns them with the
// nested classes they gave rise to.
func prepareClasses(cs []*Class) []*Class {
	var all []*Class
	known := map[reflect.Type]string{}
	for _, c := range cs {
		if c.Of != nil {
			t := reflect.TypeOf(c.Of)
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			known[t] = c.Name
		}
	}
	for _, c := range cs {
		d := &deriving{known: known}
		if c.Of != nil {
			classFromStruct(c, reflect.TypeOf(c.Of), d)
		}
		if c.Fields != "" { // with Of: fields the struct cannot hold (a lazy one, see project.Agent)
			c.fields = append(c.fields, parseParams(c.Fields, c.Name, false)...)
		}
		if c.Items != "" && c.items == nil {
			p := &typeParser{s: c.Items, ctx: c.Name + "[]"}
			c.items = p.union()
		}
		all = append(all, c)
		all = append(all, d.extra...)
	}
	return all
}

// ---- validation ----

// argError is a failed check: path is where inside the argument (".tags[2]"), msg what is wrong.
type argError struct {
	path, msg string
	unknown   string // the path of an unknown option key
}

// checker validates a value against a declared type: the arguments of a call (args: a
// required string field of an options argument must not be empty either) or, in the result
// check, its results.
type checker struct{ args bool }

var (
	argCheck    = checker{args: true}
	resultCheck = checker{}
)

func (ck checker) check(t *Type, v lua.LValue, path string, depth int) *argError {
	if depth > 32 {
		return &argError{path: path, msg: "is nested too deeply (does it contain itself?)"}
	}
	switch t.Kind {
	case KPrim:
		if primOK(t.Name, v) {
			return nil
		}
	case KLiteral:
		if s, ok := v.(lua.LString); ok && string(s) == t.Name && strings.HasPrefix(t.Text, `"`) {
			return nil
		}
		if b, ok := v.(lua.LBool); ok && !strings.HasPrefix(t.Text, `"`) && bool(b) == (t.Name == "true") {
			return nil
		}
	case KFun:
		if v.Type() == lua.LTFunction {
			return nil
		}
	case KList:
		tb, ok := v.(*lua.LTable)
		if !ok {
			break
		}
		n := tb.Len()
		for _, k := range sortedKeys(tb) {
			if i, ok := k.(lua.LNumber); !ok || float64(i) != math.Trunc(float64(i)) || int(i) < 1 || int(i) > n {
				return &argError{path: path, msg: fmt.Sprintf("must be %s, got a table with the key %s", describe(t), luaKey(k))}
			}
		}
		for i := 1; i <= n; i++ {
			if err := ck.check(t.Elem, tb.RawGetInt(i), fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case KMap:
		tb, ok := v.(*lua.LTable)
		if !ok {
			break
		}
		for _, k := range sortedKeys(tb) {
			strictString := t.Key.Kind == KPrim && t.Key.Name == "string" && k.Type() != lua.LTString
			if strictString || ck.check(t.Key, k, path, depth+1) != nil {
				return &argError{path: path, msg: fmt.Sprintf("must be %s, got the key %s", describe(t), luaKey(k))}
			}
			if err := ck.check(t.Elem, tb.RawGet(k), path+"."+k.String(), depth+1); err != nil {
				return err
			}
		}
		return nil
	case KClass:
		tb, ok := v.(*lua.LTable)
		if !ok {
			break
		}
		return ck.checkClass(t.Class, tb, path, depth)
	case KUnion:
		var shaped []*Type
		for _, a := range t.Alts {
			if ck.check(a, v, path, depth+1) == nil {
				return nil
			}
			if sameShape(a, v) {
				shaped = append(shaped, a)
			}
		}
		if len(shaped) == 1 && (shaped[0].Kind == KList || shaped[0].Kind == KMap || shaped[0].Kind == KClass) {
			return ck.check(shaped[0], v, path, depth+1) // the one table alternative explains best
		}
	}
	got := DescribeValue(v)
	if sv, ok := v.(lua.LString); ok && strings.Contains(t.Text, `"`) && len(sv) <= 64 {
		got = fmt.Sprintf("%q", string(sv))
	}
	return &argError{path: path, msg: fmt.Sprintf("must be %s, got %s", describe(t), got)}
}

func (ck checker) checkClass(c *Class, tb *lua.LTable, path string, depth int) *argError {
	var keys []string
	n := tb.Len()
	for _, k := range sortedKeys(tb) {
		if i, ok := k.(lua.LNumber); ok && c.items != nil && int(i) >= 1 && int(i) <= n && float64(i) == math.Trunc(float64(i)) {
			if err := ck.check(c.items, tb.RawGet(k), fmt.Sprintf("%s[%d]", path, int(i)), depth+1); err != nil {
				return err
			}
			continue
		}
		keys = append(keys, luaKey(k))
	}
	byName := make(map[string]Param, len(c.fields))
	var known []string
	for _, f := range c.fields {
		byName[f.Name] = f
		known = append(known, f.Name)
	}
	for _, k := range keys {
		f, ok := byName[k]
		if !ok {
			if c.Open {
				continue
			}
			hint := ""
			if s := closestOption(k, known); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			sorted := append([]string(nil), known...)
			sort.Strings(sorted)
			where := "known options"
			if p := strings.TrimPrefix(path, "."); p != "" {
				where += " of " + p
			}
			return &argError{path: path, unknown: strings.TrimPrefix(path+"."+k, "."),
				msg: fmt.Sprintf("%s; %s: %s", hint, where, strings.Join(sorted, ", "))}
		}
		if err := ck.check(f.Type, tb.RawGetString(k), path+"."+k, depth+1); err != nil {
			return err
		}
	}
	lazy := false // a field an __index metamethod provides on first use is there for Lua
	if mt, ok := tb.Metatable.(*lua.LTable); ok && mt.RawGetString("__index") != lua.LNil {
		lazy = true
	}
	for _, f := range c.fields {
		v := tb.RawGetString(f.Name)
		if !f.Optional && !lazy && v == lua.LNil {
			return &argError{path: path + "." + f.Name, msg: fmt.Sprintf("is required (%s)", describe(f.Type))}
		}
		// An option the function names itself must not be empty; values inside lists and
		// nested tables may be (a log event's empty message, an id the API has none for).
		if ck.args && path == "" && !f.Optional && v == lua.LString("") && f.Type.Kind == KPrim && f.Type.Name == "string" {
			return &argError{path: path + "." + f.Name, msg: "is required (a non-empty string), got an empty string"}
		}
	}
	return nil
}

// sortedKeys returns a table's keys in a fixed order (numbers first, then by text), so that a
// table with several mistakes always reports the same one.
func sortedKeys(tb *lua.LTable) []lua.LValue {
	var keys []lua.LValue
	tb.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	sort.Slice(keys, func(i, j int) bool {
		a, aNum := keys[i].(lua.LNumber)
		b, bNum := keys[j].(lua.LNumber)
		switch {
		case aNum && bNum:
			return a < b
		case aNum != bNum:
			return aNum
		}
		return keys[i].String() < keys[j].String()
	})
	return keys
}

func luaKey(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok {
		return string(s)
	}
	return "[" + k.String() + "]"
}

func primOK(name string, v lua.LValue) bool {
	switch name {
	case "any":
		return true
	case "nil":
		return v == lua.LNil
	case "string":
		return v.Type() == lua.LTString || v.Type() == lua.LTNumber
	case "number":
		return v.Type() == lua.LTNumber
	case "integer":
		n, ok := v.(lua.LNumber)
		return ok && float64(n) == math.Trunc(float64(n))
	case "boolean":
		return v.Type() == lua.LTBool
	case "table":
		return v.Type() == lua.LTTable
	case "function":
		return v.Type() == lua.LTFunction
	case "userdata":
		return v.Type() == lua.LTUserData
	case "thread":
		return v.Type() == lua.LTThread
	}
	return false
}

// sameShape says whether v has the Lua type t stands for (a table for a list or a class).
func sameShape(t *Type, v lua.LValue) bool {
	switch t.Kind {
	case KList, KMap, KClass:
		return v.Type() == lua.LTTable
	case KLiteral:
		if !strings.HasPrefix(t.Text, `"`) {
			return v.Type() == lua.LTBool
		}
		return v.Type() == lua.LTString
	case KFun:
		return v.Type() == lua.LTFunction
	case KPrim:
		return primOK(t.Name, v) || (t.Name == "integer" && v.Type() == lua.LTNumber)
	}
	return false
}

// describe says what a type accepts, in words: "a list of tables", "a string or nil".
func describe(t *Type) string {
	switch t.Kind {
	case KPrim:
		switch t.Name {
		case "any":
			return "any value"
		case "nil":
			return "nil"
		case "integer":
			return "an integer"
		}
		return "a " + t.Name
	case KLiteral:
		return t.Text
	case KFun:
		return "a function"
	case KList:
		return "a list of " + plural(t.Elem)
	case KMap:
		return "a table of " + noun(t.Key) + " keys and " + noun(t.Elem) + " values"
	case KClass:
		return "a table (" + t.Name + ")"
	case KUnion:
		parts := make([]string, len(t.Alts))
		for i, a := range t.Alts {
			parts[i] = describe(a)
		}
		if len(parts) == 2 {
			return parts[0] + " or " + parts[1]
		}
		return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
	}
	return t.Text
}

func noun(t *Type) string {
	switch t.Kind {
	case KPrim, KFun:
		if t.Kind == KFun {
			return "function"
		}
		return t.Name
	case KClass:
		return t.Name
	}
	return "(" + t.Text + ")"
}

func plural(t *Type) string {
	switch t.Kind {
	case KPrim:
		if t.Name == "any" {
			return "values"
		}
		return t.Name + "s"
	case KFun:
		return "functions"
	case KClass:
		return "tables (" + t.Name + ")"
	case KList:
		return "lists of " + plural(t.Elem)
	case KMap:
		return "tables"
	case KLiteral:
		return fmt.Sprintf("%q", t.Name)
	}
	return "values of " + t.Text
}

// DescribeValue names a Lua value's type for messages: "a string", "an empty string", "nil".
func DescribeValue(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTString:
		if v.String() == "" {
			return "an empty string"
		}
	case lua.LTNumber:
		return "the number " + v.String()
	}
	return "a " + v.Type().String()
}

// checkArgs validates the arguments of a call to the function named fn (ui.table) against
// params, raising a usage error (exit 2) naming the function, the argument and the field.
func checkArgs(L *lua.LState, fn string, params []Param) {
	raiseArg := func(L *lua.LState, fn string, n int, name string, e *argError) {
		raiseArgError(L, fn, params, n, name, e)
	}
	top := L.GetTop()
	for i, p := range params {
		if p.Name == "..." {
			for j := i + 1; j <= top; j++ {
				if e := argCheck.check(p.Type, L.Get(j), "", 0); e != nil {
					raiseArg(L, fn, j, "...", e)
				}
			}
			return
		}
		v := L.Get(i + 1)
		if v == lua.LNil {
			if p.Optional {
				continue
			}
			if argCheck.check(p.Type, v, "", 0) == nil { // any, or a union with nil
				continue
			}
			RaiseUsage(L, usageHint(fn, params), "%s: argument #%d (%s) is missing: it must be %s", fn, i+1, p.Name, describe(p.Type))
		}
		if e := argCheck.check(p.Type, v, "", 0); e != nil {
			raiseArg(L, fn, i+1, p.Name, e)
		}
	}
}

func raiseArgError(L *lua.LState, fn string, params []Param, n int, name string, e *argError) {
	hint := usageHint(fn, params)
	if e.unknown != "" {
		RaiseUsage(L, hint, "%s: unknown option %q%s", fn, e.unknown, e.msg)
	}
	if e.path == "" {
		RaiseUsage(L, hint, "%s: argument #%d (%s) %s", fn, n, name, e.msg)
	}
	RaiseUsage(L, hint, "%s: argument #%d (%s) field %s %s", fn, n, name, strings.TrimPrefix(e.path, "."), e.msg)
}

// usageHint shows the declaration: "usage: ui.error(message: string, opts?: ui.ErrorOpts)".
func usageHint(fn string, params []Param) string {
	parts := make([]string, len(params))
	for i, p := range params {
		opt := ""
		if p.Optional {
			opt = "?"
		}
		parts[i] = p.Name + opt + ": " + p.Type.Text
	}
	return "usage: " + fn + "(" + strings.Join(parts, ", ") + "); agentcore docs describes it and its tables"
}

// closestName is the known name within a small edit distance of name, or "".
func closestName(name string, known []string) string {
	best, bestD := "", maxTypoDistance(name)+1
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// closestOption is closestName, or else a known name that name is the start of (entry:
// entrypoint), as option keys are often shortened.
func closestOption(name string, known []string) string {
	if s := closestName(name, known); s != "" {
		return s
	}
	for _, k := range known {
		if len(name) >= 3 && strings.HasPrefix(k, name) {
			return k
		}
	}
	return ""
}

func maxTypoDistance(name string) int {
	switch {
	case len(name) < 3:
		return 0
	case len(name) <= 4:
		return 1
	}
	return 2
}

// editDistance is the optimal string alignment distance, ignoring case (a transposition
// counts as one), as agentcore.toml's did-you-means measure it.
func editDistance(a, b string) int {
	return project.EditDistance(strings.ToLower(a), strings.ToLower(b))
}

// ---- recipe declarations ----

// A recipe's argument declarations ({ name = "agent", type = "string", ... }) are checked as
// strictly as calls: each key's type, the default against the argument's type and choices, and
// an unknown key with a did-you-mean. declFromTable calls these; the error gets the recipe's
// file and the line of its recipe{...} call.

// recipeArgKeys are the keys of one argument declaration, with the Lua type each takes.
var recipeArgKeys = map[string]lua.LValueType{
	"name": lua.LTString, "type": lua.LTString, "required": lua.LTBool, "default": lua.LTNil,
	"help": lua.LTString, "positional": lua.LTBool, "short": lua.LTString, "choices": lua.LTTable,
	"after_dash": lua.LTBool,
}

// recipeKeys are the keys of a recipe{...} declaration.
var recipeKeys = []string{"description", "usage", "args", "lock", "changes", "run"}

// declKeySuggestion is ` (did you mean "help"?); known: ...` for an unknown key.
func declKeySuggestion(key string, known []string) string {
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	hint := ""
	if s := closestOption(key, sorted); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return hint + "; known: " + strings.Join(sorted, ", ")
}

// checkArgDeclKeys checks the keys of argument declaration i and their types.
func checkArgDeclKeys(i int, at *lua.LTable) error {
	known := make([]string, 0, len(recipeArgKeys))
	for k := range recipeArgKeys {
		known = append(known, k)
	}
	var err error
	at.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		ks, ok := k.(lua.LString)
		want, found := recipeArgKeys[string(ks)]
		if !ok || !found {
			err = fmt.Errorf("args[%d]: unknown field %s%s", i, luaKeyText(k), declKeySuggestion(luaKey(k), known))
			return
		}
		if want != lua.LTNil && v.Type() != want {
			err = fmt.Errorf("args[%d]: %s must be a %s, got %s", i, ks, want, DescribeValue(v))
			return
		}
		if ks == "choices" {
			ct := v.(*lua.LTable)
			for _, ck := range sortedKeys(ct) {
				n, isNum := ck.(lua.LNumber)
				if !isNum || int(n) < 1 || int(n) > ct.Len() {
					err = fmt.Errorf("args[%d]: choices must be a list of strings, got the key %s", i, luaKey(ck))
					return
				}
				if cv := ct.RawGet(ck); cv.Type() != lua.LTString {
					err = fmt.Errorf("args[%d]: choices[%d] must be a string, got %s", i, int(n), DescribeValue(cv))
					return
				}
			}
		}
	})
	return err
}

func luaKeyText(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok {
		return fmt.Sprintf("%q", string(s))
	}
	return luaKey(k)
}

// checkArgDefault checks a declared default against the argument's type and choices: a
// string for string, a whole number for int, a boolean for bool, a list of strings for list.
func checkArgDefault(a ArgSpec, d lua.LValue) error {
	wrong := func(want string) error {
		return fmt.Errorf("argument %q is declared %s, but its default is %s: make it %s", a.Name, a.Type, DescribeValue(d), want)
	}
	switch a.Type {
	case "string":
		s, ok := d.(lua.LString)
		if !ok {
			return wrong(`a string (default = "...")`)
		}
		return defaultChoice(a, string(s))
	case "int":
		if n, ok := d.(lua.LNumber); !ok || float64(n) != math.Trunc(float64(n)) {
			return wrong("a whole number")
		}
	case "bool":
		if d.Type() != lua.LTBool {
			return wrong("true or false")
		}
	case "list":
		t, ok := d.(*lua.LTable)
		if !ok {
			return wrong(`a list of strings (default = { "..." })`)
		}
		n := t.Len()
		for _, k := range sortedKeys(t) {
			i, isNum := k.(lua.LNumber)
			if !isNum || int(i) < 1 || int(i) > n {
				return wrong(`a list of strings (default = { "..." })`)
			}
			s, ok := t.RawGet(k).(lua.LString)
			if !ok {
				return fmt.Errorf("argument %q: default[%d] must be a string, got %s", a.Name, int(i), DescribeValue(t.RawGet(k)))
			}
			if err := defaultChoice(a, string(s)); err != nil {
				return err
			}
		}
	}
	return nil
}

func defaultChoice(a ArgSpec, s string) error {
	if len(a.Choices) == 0 {
		return nil
	}
	for _, c := range a.Choices {
		if c == s {
			return nil
		}
	}
	return fmt.Errorf("argument %q: default %q is not one of its choices (%s)", a.Name, s, strings.Join(a.Choices, ", "))
}
