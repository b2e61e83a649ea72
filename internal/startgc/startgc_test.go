package startgc

import "testing"

func TestReleaseDropsTheBallastOnce(t *testing.T) {
	if !Release() {
		t.Fatal("no ballast was held during init")
	}
	if Release() {
		t.Fatal("the ballast came back")
	}
}
