// Package release holds the checks of what make release builds: every package compiles for
// the six release targets and vets for Windows and macOS. Its own package, so that go test ./...
// runs these builds beside the end-to-end scripts of cmd/agentcore rather than after them.
package release
