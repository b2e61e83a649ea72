// Package bench holds agentcore's speed benchmarks: startup in process and through the binary
// (startup_test.go), and the deploy lifecycle against the real Docker engine (lifecycle.sh,
// invokebench). The targets are ratios or budgets read from one run (see README.md); nothing
// asserts a time, so a slow machine never fails the test suite, and everything slow runs only
// under -bench or from the scripts.
package bench
