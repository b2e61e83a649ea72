package engine

import (
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

var processStart = time.Now()

func osTime(L *lua.LState) int {
	L.Push(lua.LNumber(time.Now().Unix()))
	return 1
}

func osClock(L *lua.LState) int {
	L.Push(lua.LNumber(time.Since(processStart).Seconds()))
	return 1
}

func osGetenv(L *lua.LState) int {
	v, ok := os.LookupEnv(L.CheckString(1))
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(v))
	return 1
}

// osDate supports the strftime verbs recipes use: %Y %m %d %H %M %S %z %Z %s and "!" for UTC.
// os.date() with no format returns RFC 3339.
func osDate(L *lua.LState) int {
	format := L.OptString(1, "")
	t := time.Now()
	if n, ok := L.Get(2).(lua.LNumber); ok {
		t = time.Unix(int64(n), 0)
	}
	if strings.HasPrefix(format, "!") {
		t = t.UTC()
		format = format[1:]
	}
	if format == "" {
		L.Push(lua.LString(t.Format(time.RFC3339)))
		return 1
	}
	r := strings.NewReplacer("%Y", "2006", "%m", "01", "%d", "02", "%H", "15", "%M", "04",
		"%S", "05", "%z", "-0700", "%Z", "MST", "%%", "%")
	layout := r.Replace(format)
	out := t.Format(layout)
	out = strings.ReplaceAll(out, "%s", time.Now().Format("5"))
	L.Push(lua.LString(out))
	return 1
}
