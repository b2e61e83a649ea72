package engine

import (
	"fmt"
	"reflect"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// This file binds a builtin's Go function to its declaration (Func.Go): the declared Params
// are checked (decl.go), then each argument is converted to the Go parameter's type, the
// function runs, and its results are converted to Lua following the declared Returns.
//
// The shape of a Func.Go function:
//
//	func luaPut(L *lua.LState, name string, opts putOpts) (Result, error)
//
//   - an optional first parameter *lua.LState, for Unlocked, FromL and Ctx;
//   - one Go parameter per declared parameter, in order; a final variadic one binds "...";
//   - one Go result per declared result, then optionally an error.
//
// Argument types: string, bool, the integer and float kinds, pointers to those (nil when the
// argument is nil), lua.LValue, *lua.LTable and *lua.LFunction (the raw value), any (plain Go
// data, as ToGo gives), and structs, slices and maps (decoded with Decode, strictly, through
// their json tags; embedded structs are flattened as encoding/json does). A struct parameter
// usually is the struct its Class was derived from (Class.Of), so that the table's shape is
// declared once.
//
// Results are converted with ToLua, guided by the declared type: a Go slice where a list is
// declared (T[]) is a list even when empty or nil (json.encode and -o json write []), unless
// the result or field is optional and the slice nil; a field tagged omitempty that holds its
// zero value is left out. A returned error is raised with Raise: an *Error keeps its code and
// hint; any other error is a failure (exit 1).

// goBinding is a Func.Go function analysed once, when its module is prepared.
type goBinding struct {
	fn        reflect.Value
	withState bool           // the first parameter is *lua.LState
	params    []reflect.Type // one per declared parameter (the variadic one: its element type)
	variadic  bool
	results   int  // results before the error
	withErr   bool // the last result is an error
}

var (
	lstateT  = reflect.TypeOf((*lua.LState)(nil))
	ltableT  = reflect.TypeOf((*lua.LTable)(nil))
	lfuncT   = reflect.TypeOf((*lua.LFunction)(nil))
	errorT   = reflect.TypeOf((*error)(nil)).Elem()
	anyT     = reflect.TypeOf((*any)(nil)).Elem()
	luaValTs = map[reflect.Type]bool{luaValueT: true, ltableT: true, lfuncT: true}
)

// bindGo analyses f.Go against f's parsed declaration, panicking (a programming error that the
// registry's tests catch) when they disagree in count.
func bindGo(name string, f *Func) *goBinding {
	v := reflect.ValueOf(f.Go)
	t := v.Type()
	if t.Kind() != reflect.Func {
		panic(fmt.Sprintf("engine: %s: Go must be a function, got %s", name, t))
	}
	b := &goBinding{fn: v, variadic: t.IsVariadic()}
	in := 0
	if t.NumIn() > 0 && t.In(0) == lstateT {
		b.withState = true
		in = 1
	}
	for i := in; i < t.NumIn(); i++ {
		pt := t.In(i)
		if b.variadic && i == t.NumIn()-1 {
			pt = pt.Elem()
		}
		b.params = append(b.params, pt)
	}
	params := f.decl.params
	if len(b.params) != len(params) {
		panic(fmt.Sprintf("engine: %s: Go takes %d arguments, the declaration %d (%q)", name, len(b.params), len(params), f.Params))
	}
	if b.variadic != (len(params) > 0 && params[len(params)-1].Name == "...") {
		panic(fmt.Sprintf("engine: %s: Go is variadic exactly when the declaration ends with ...", name))
	}
	b.results = t.NumOut()
	if b.results > 0 && t.Out(b.results-1) == errorT {
		b.withErr = true
		b.results--
	}
	if b.results != len(f.decl.results) {
		panic(fmt.Sprintf("engine: %s: Go returns %d values, the declaration %d (%q)", name, b.results, len(f.decl.results), f.Returns))
	}
	for i, pt := range b.params {
		if err := goMatchesDecl(pt, params[i].Type); err != nil {
			panic(fmt.Sprintf("engine: %s: argument #%d (%s): %v", name, i+1, params[i].Name, err))
		}
	}
	for i := 0; i < b.results; i++ {
		if err := goMatchesDecl(t.Out(i), f.decl.results[i].Type); err != nil {
			panic(fmt.Sprintf("engine: %s: result #%d: %v", name, i+1, err))
		}
	}
	return b
}

// goMatchesDecl checks that a Go type agrees with a declared type where the declaration names a
// class derived from a struct (Class.Of): the Go type must be that struct (or a pointer to it,
// or a slice or map of them where a list or map is declared), so that the declaration and
// what the function takes or returns cannot drift apart. Raw Lua values and any pass.
func goMatchesDecl(gt reflect.Type, t *Type) error {
	for gt.Kind() == reflect.Pointer && gt != ltableT && gt != lfuncT {
		gt = gt.Elem()
	}
	if luaValTs[gt] || gt.Kind() == reflect.Interface || t == nil {
		return nil
	}
	switch t.Kind {
	case KList:
		if gt.Kind() == reflect.Slice || gt.Kind() == reflect.Array {
			return goMatchesDecl(gt.Elem(), t.Elem)
		}
	case KMap:
		if gt.Kind() == reflect.Map {
			return goMatchesDecl(gt.Elem(), t.Elem)
		}
	case KClass:
		if t.Class == nil || t.Class.Of == nil {
			return nil
		}
		of := reflect.TypeOf(t.Class.Of)
		for of.Kind() == reflect.Pointer {
			of = of.Elem()
		}
		if gt != of {
			return fmt.Errorf("declared %s, which is derived from %s, but the Go type is %s", t.Name, of, gt)
		}
	}
	return nil
}

// call converts the (already checked) Lua arguments, calls the function and pushes its results.
func (b *goBinding) call(L *lua.LState, name string, d *decl) int {
	args := make([]reflect.Value, 0, len(b.params)+1)
	if b.withState {
		args = append(args, reflect.ValueOf(L))
	}
	for i, pt := range b.params {
		p := d.params[i]
		if b.variadic && i == len(b.params)-1 {
			for j := i + 1; j <= L.GetTop(); j++ {
				args = append(args, bindArg(L, name, d.params, j, p, pt, L.Get(j)))
			}
			break
		}
		args = append(args, bindArg(L, name, d.params, i+1, p, pt, L.Get(i+1)))
	}
	out := b.fn.Call(args)
	if b.withErr {
		if err, _ := out[b.results].Interface().(error); err != nil {
			Raise(L, err)
		}
	}
	for i := 0; i < b.results; i++ {
		r := d.results[i]
		L.Push(toLuaAs(L, out[i], r.Type, r.Optional))
	}
	return b.results
}

// bindArg converts argument n (declared as p, one of params) to the Go type t.
func bindArg(L *lua.LState, fn string, params []Param, n int, p Param, t reflect.Type, v lua.LValue) reflect.Value {
	if luaValTs[t] {
		if v == lua.LNil && t != luaValueT {
			return reflect.Zero(t)
		}
		return reflect.ValueOf(v)
	}
	if v == lua.LNil {
		return reflect.Zero(t)
	}
	if t == anyT {
		g, err := ToGo(v)
		if err != nil {
			RaiseUsage(L, "", "%s: argument #%d (%s): %v", fn, n, p.Name, err)
		}
		if g == nil {
			return reflect.Zero(t)
		}
		return reflect.ValueOf(g)
	}
	if prim, ok := primArg(v, t); ok {
		return prim
	}
	if t.Kind() == reflect.Pointer {
		if prim, ok := primArg(v, t.Elem()); ok {
			ptr := reflect.New(t.Elem())
			ptr.Elem().Set(prim)
			return ptr
		}
	}
	ptr := reflect.New(t)
	if err := Decode(v, ptr.Interface()); err != nil {
		RaiseUsage(L, usageHint(fn, params), "%s: argument #%d (%s): %v", fn, n, p.Name, err)
	}
	return ptr.Elem()
}

// primArg converts v to t when t is a string, boolean or number kind and v is a value of that
// kind (a number also gives a string, as Lua converts one to the other).
func primArg(v lua.LValue, t reflect.Type) (reflect.Value, bool) {
	out := reflect.New(t).Elem()
	n, isNum := v.(lua.LNumber)
	switch t.Kind() {
	case reflect.String:
		if v.Type() != lua.LTString && !isNum {
			return out, false
		}
		out.SetString(lua.LVAsString(v))
	case reflect.Bool:
		b, ok := v.(lua.LBool)
		if !ok {
			return out, false
		}
		out.SetBool(bool(b))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if !isNum {
			return out, false
		}
		out.SetInt(int64(n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !isNum || n < 0 {
			return out, false
		}
		out.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		if !isNum {
			return out, false
		}
		out.SetFloat(float64(n))
	default:
		return out, false
	}
	return out, true
}

// ToLuaAs converts v to Lua like ToLua, following the declared type returns ("s3.Object[]",
// "project.Agent?"; class names of registered modules). Builtins that must finish a table
// themselves (a metatable, a lazy field) build it with this, as a Go result would be.
func ToLuaAs(L *lua.LState, v any, returns string) lua.LValue {
	p := &typeParser{s: returns, ctx: "ToLuaAs"}
	t := p.union()
	opt := p.eat("?")
	resolve(t, classesFor(L, t), "ToLuaAs "+returns)
	return toLuaAs(L, reflect.ValueOf(v), t, opt)
}

// classesFor returns the classes the class names in t may refer to: those of the modules the
// names start with ("project.Agent": the project module) and the engine's own.
func classesFor(L *lua.LState, t *Type) map[string]*Class {
	out := map[string]*Class{}
	for _, c := range engineClasses() {
		out[c.Name] = c
	}
	var walk func(t *Type)
	walk = func(t *Type) {
		if t == nil {
			return
		}
		if t.Kind == KClass {
			if mod, _, ok := strings.Cut(t.Name, "."); ok {
				if m := vmFor(L).reg.mods[mod]; m != nil {
					for _, c := range m.AllClasses() {
						out[c.Name] = c
					}
				}
			}
		}
		walk(t.Elem)
		walk(t.Key)
		for _, a := range t.Alts {
			walk(a)
		}
	}
	walk(t)
	return out
}

// toLuaAs converts v following the declared type t: a slice declared as a list becomes a
// list (an empty one when nil, unless optional); a struct declared as a class has its fields
// converted with the class's field types. Other values convert as ToLua does.
func toLuaAs(L *lua.LState, v reflect.Value, t *Type, optional bool) lua.LValue {
	if !v.IsValid() {
		return lua.LNil
	}
	if lv, ok := v.Interface().(lua.LValue); ok {
		return lv
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return lua.LNil
		}
		v = v.Elem()
	}
	t = pickAlt(t, v)
	if t == nil {
		return toLua(L, v)
	}
	switch {
	case t.Kind == KList && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Type().Elem().Kind() != reflect.Uint8:
		if v.Kind() == reflect.Slice && v.IsNil() && optional {
			return lua.LNil
		}
		tb := NewList(L, v.Len())
		for i := 0; i < v.Len(); i++ {
			tb.Append(toLuaAs(L, v.Index(i), t.Elem, false))
		}
		return tb
	case t.Kind == KMap && v.Kind() == reflect.Map:
		if v.IsNil() {
			if optional {
				return lua.LNil
			}
			return L.NewTable()
		}
		tb := L.CreateTable(0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			tb.RawSetString(fmt.Sprint(iter.Key().Interface()), toLuaAs(L, iter.Value(), t.Elem, false))
		}
		return tb
	case t.Kind == KClass && t.Class != nil && v.Kind() == reflect.Struct && v.Type() != timeType:
		fields := map[string]Param{}
		for _, f := range t.Class.fields {
			fields[f.Name] = f
		}
		tb := L.CreateTable(0, v.NumField())
		structFields(v.Type(), nil, func(name string, index []int, omitEmpty bool) {
			fv := v.FieldByIndex(index)
			if omitEmpty && fv.IsZero() {
				return
			}
			var lv lua.LValue
			if f, ok := fields[name]; ok {
				lv = toLuaAs(L, fv, f.Type, f.Optional)
			} else {
				lv = toLua(L, fv)
			}
			if lv != lua.LNil {
				tb.RawSetString(name, lv)
			}
		})
		return tb
	}
	return toLua(L, v)
}

// pickAlt returns the member of a declared union that fits v's Go kind (the list for a
// slice, the class or map for a struct or map), t itself when it is no union, or nil.
func pickAlt(t *Type, v reflect.Value) *Type {
	if t == nil || t.Kind != KUnion {
		return t
	}
	for _, a := range t.Alts {
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			if a.Kind == KList {
				return a
			}
		case reflect.Struct:
			if a.Kind == KClass {
				return a
			}
		case reflect.Map:
			if a.Kind == KMap || a.Kind == KClass {
				return a
			}
		}
	}
	return nil
}

// structFields calls fn with the Lua name and index of each field of t that converts to a
// table key: a json tag names it, else the API member name (lowerFirst); "-", unexported and
// ResultMetadata fields are left out; an embedded struct without a tag contributes its fields.
// omitEmpty is the tag's omitempty: the caller leaves the field out when it holds its zero
// value, as encoding/json does.
func structFields(t reflect.Type, prefix []int, fn func(name string, index []int, omitEmpty bool)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, tagOpts, _ := strings.Cut(f.Tag.Get("json"), ",")
		omitEmpty := strings.Contains(","+tagOpts+",", ",omitempty,")
		if f.Anonymous && tag == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && f.Type.Kind() != reflect.Pointer {
				structFields(et, index, fn)
				continue
			}
		}
		if !f.IsExported() || f.Name == "ResultMetadata" || tag == "-" {
			continue
		}
		name := lowerFirst(f.Name)
		if tag != "" {
			name = tag
		}
		fn(name, index, omitEmpty)
	}
}

// ---- lists ----

const listMetaKey = "agentcore.list"

// listMarker is the key of the metatable that marks a table as a list, so that an empty one
// encodes as [] (json.encode, -o json) where a plain empty table encodes as {}.
const listMarker = "__list"

// NewList returns an empty table marked as a list (see IsList), with room for n items.
func NewList(L *lua.LState, n int) *lua.LTable {
	tb := L.CreateTable(n, 0)
	tb.Metatable = listMeta(L)
	return tb
}

func listMeta(L *lua.LState) lua.LValue {
	if mt, ok := L.G.Registry.RawGetString(listMetaKey).(*lua.LTable); ok {
		return mt
	}
	mt := L.NewTable()
	mt.RawSetString(listMarker, lua.LTrue)
	mt.RawSetString("__name", lua.LString("list"))
	L.G.Registry.RawSetString(listMetaKey, mt)
	return mt
}

// MarkList marks tb as a list (see NewList) and returns it.
func MarkList(L *lua.LState, tb *lua.LTable) *lua.LTable {
	tb.Metatable = listMeta(L)
	return tb
}

// IsList reports whether tb is marked as a list: made by NewList, from a Go slice, by a
// declared list result, or in Lua by json.array().
func IsList(tb *lua.LTable) bool {
	mt, ok := tb.Metatable.(*lua.LTable)
	return ok && mt.RawGetString(listMarker) == lua.LTrue
}
