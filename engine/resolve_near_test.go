package engine

import (
	"reflect"
	"testing"
)

// An unknown recipe suggests the recipes a common verb means (only those that exist: a real
// deploy recipe is found as itself), then near names and names it starts.
func TestNearRecipes(t *testing.T) {
	stock := []string{"create", "destroy", "invoke", "logs", "status", "update"}
	withDeploy := append([]string{"deploy"}, stock...)
	cases := []struct {
		name string
		all  []string
		want []string
	}{
		{"deploy", stock, []string{"create", "update"}},
		{"deploy", withDeploy, []string{"create", "update"}}, // not asked for when it exists: Find finds it
		{"deplyo", withDeploy, []string{"deploy"}},
		{"remove", stock, []string{"destroy"}},
		{"delete", stock, []string{"destroy"}},
		{"ls", stock, []string{"status"}},
		{"list", stock, []string{"status", "recipes"}},
		{"log", stock, []string{"logs"}},
		{"creat", stock, []string{"create"}},
		{"stat", stock, []string{"status"}},
		{"xyz", stock, nil},
	}
	for _, c := range cases {
		if got := nearRecipes(c.name, c.all); !reflect.DeepEqual(got, c.want) {
			t.Errorf("nearRecipes(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}
