package docker

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/engine"
)

// decodeOpts fills the struct dst points to from the options table at argument n of fn. Fields
// are matched by their `lua:"name"` tag; supported field types are string, bool, []string (a
// list, or a single string), map[string]string and nested structs. Unknown keys and wrong types
// are usage errors, so a typo in a recipe does not pass silently. A missing or nil argument
// leaves dst unchanged.
func decodeOpts(L *lua.LState, n int, fn string, dst any) {
	v := L.Get(n)
	if v == lua.LNil {
		return
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		engine.RaiseUsage(L, fnHint(fn), "%s: argument #%d must be a table of options, got %s", fn, n, v.Type())
	}
	if err := decodeTable(t, reflect.ValueOf(dst).Elem(), ""); err != nil {
		engine.RaiseUsage(L, fnHint(fn), "%s: %v", fn, err)
	}
}

func fnHint(fn string) string {
	return "see the reference for " + fn + ": agentcore docs docker"
}

func decodeTable(t *lua.LTable, dst reflect.Value, prefix string) error {
	fields := map[string]reflect.Value{}
	var names []string
	for i := 0; i < dst.NumField(); i++ {
		name := dst.Type().Field(i).Tag.Get("lua")
		if name == "" {
			continue
		}
		fields[name] = dst.Field(i)
		names = append(names, name)
	}
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			err = fmt.Errorf("option keys must be names, got %s %s", k.Type(), k.String())
			return
		}
		f, ok := fields[string(key)]
		if !ok {
			sort.Strings(names)
			err = fmt.Errorf("unknown option %q (options: %s)", prefix+string(key), strings.Join(names, ", "))
			return
		}
		err = decodeValue(v, f, prefix+string(key))
	})
	return err
}

func decodeValue(v lua.LValue, f reflect.Value, name string) error {
	if v == lua.LNil {
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		switch v.(type) {
		case lua.LString, lua.LNumber:
			f.SetString(v.String())
			return nil
		}
		return fmt.Errorf("option %s must be a string, got %s", name, v.Type())
	case reflect.Bool:
		b, ok := v.(lua.LBool)
		if !ok {
			return fmt.Errorf("option %s must be a boolean, got %s", name, v.Type())
		}
		f.SetBool(bool(b))
		return nil
	case reflect.Slice:
		if s, ok := v.(lua.LString); ok {
			f.Set(reflect.ValueOf([]string{string(s)}))
			return nil
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			return fmt.Errorf("option %s must be a list of strings, got %s", name, v.Type())
		}
		var out []string
		var err error
		n := t.Len()
		t.ForEach(func(k, item lua.LValue) {
			if err != nil {
				return
			}
			if i, ok := k.(lua.LNumber); !ok || int(i) < 1 || int(i) > n {
				err = fmt.Errorf("option %s must be a list of strings, not a table with key %s", name, k.String())
				return
			}
			switch item.(type) {
			case lua.LString, lua.LNumber:
			default:
				err = fmt.Errorf("option %s[%s] must be a string, got %s", name, k.String(), item.Type())
			}
		})
		if err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			out = append(out, t.RawGetInt(i).String())
		}
		f.Set(reflect.ValueOf(out))
		return nil
	case reflect.Map:
		t, ok := v.(*lua.LTable)
		if !ok {
			return fmt.Errorf("option %s must be a table of name = value, got %s", name, v.Type())
		}
		out := map[string]string{}
		var err error
		t.ForEach(func(k, item lua.LValue) {
			if err != nil {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				err = fmt.Errorf("option %s must be a table of name = value, not a list", name)
				return
			}
			switch item.(type) {
			case lua.LString, lua.LNumber, lua.LBool:
				out[string(ks)] = item.String()
			default:
				err = fmt.Errorf("option %s.%s must be a string, got %s", name, ks, item.Type())
			}
		})
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(out))
		return nil
	case reflect.Struct:
		t, ok := v.(*lua.LTable)
		if !ok {
			return fmt.Errorf("option %s must be a table, got %s", name, v.Type())
		}
		return decodeTable(t, f, name+".")
	}
	return fmt.Errorf("option %s: unsupported field kind %s", name, f.Kind())
}

// toLua converts a Go result (maps, string slices and scalars) into a Lua value; nil becomes
// Lua nil.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case string:
		return lua.LString(x)
	case bool:
		return lua.LBool(x)
	case int:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case []string:
		t := L.CreateTable(len(x), 0)
		for _, s := range x {
			t.Append(lua.LString(s))
		}
		return t
	case map[string]string:
		t := L.CreateTable(0, len(x))
		for k, s := range x {
			t.RawSetString(k, lua.LString(s))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	}
	panic(fmt.Sprintf("docker: toLua: unsupported type %T", v))
}
