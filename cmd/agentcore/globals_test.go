package main

import (
	"reflect"
	"testing"
	"time"
)

func TestParseGlobals(t *testing.T) {
	cases := []struct {
		args []string
		want globals
		rest []string
	}{
		{[]string{"create", "my-bot", "-e", "prod", "--yes"}, globals{env: "prod", yes: true}, []string{"create", "my-bot"}},
		{[]string{"-eprod", "-o", "json", "invoke", "bot", "-p", "hi"}, globals{env: "prod", output: "json"}, []string{"invoke", "bot", "-p", "hi"}},
		{[]string{"--env=dev", "--wait", "--wait-timeout", "2s", "status", "--verbose=false"}, globals{env: "dev", wait: true, waitTimeout: 2 * time.Second}, []string{"status"}},
		{[]string{"lua", "x.lua", "--", "-e", "dev"}, globals{}, []string{"lua", "x.lua", "--", "-e", "dev"}},
		{[]string{"invoke", "bot", "--payload", "-", "-h"}, globals{help: true}, []string{"invoke", "bot", "--payload", "-"}},
		{[]string{"-C", "dir", "-vx", "--no-color"}, globals{dir: "dir", noColor: true}, []string{"-vx"}},
	}
	for _, c := range cases {
		g, rest, err := parseGlobals(c.args)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if c.want.output == "" {
			c.want.output = "text"
		}
		if c.want.waitTimeout == 0 {
			c.want.waitTimeout = 15 * time.Minute
		}
		if g != c.want || !reflect.DeepEqual(rest, c.rest) {
			t.Errorf("%v:\n got %+v %q\nwant %+v %q", c.args, g, rest, c.want, c.rest)
		}
	}
	for _, bad := range [][]string{{"status", "-e"}, {"-o", "yaml", "status"}, {"--wait-timeout", "soon"}} {
		if _, _, err := parseGlobals(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
