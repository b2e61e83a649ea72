// Package lazyregexp holds regular expressions compiled on first use instead of at program
// start. Go runs the initialisation of every package the binary links before main, whatever
// the command, so a package-level regexp.MustCompile is paid by every run of agentcore,
// `--help` and completion included (issue 19: the package-level regexps were 5-6% of the CPU
// of `agentcore --help`). Declare package-level patterns with New; the methods are those of
// regexp.Regexp that the code uses.
package lazyregexp

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled the first time one of its methods is called.
type Regexp struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

// declared lists every pattern made with New, for Check.
var (
	mu       sync.Mutex
	declared []*Regexp
)

// New returns the pattern, not compiled yet. An invalid pattern panics on first use, as
// regexp.MustCompile would at start; Check finds it without waiting for that use.
func New(pattern string) *Regexp {
	r := &Regexp{pattern: pattern}
	mu.Lock()
	declared = append(declared, r)
	mu.Unlock()
	return r
}

// Check compiles every pattern declared by the packages linked into this program and returns
// the first that does not compile. A test of the binary's main package calls it.
func Check() error {
	mu.Lock()
	defer mu.Unlock()
	for _, r := range declared {
		if _, err := regexp.Compile(r.pattern); err != nil {
			return err
		}
	}
	return nil
}

// Count is the number of patterns declared by the packages linked into this program.
func Count() int {
	mu.Lock()
	defer mu.Unlock()
	return len(declared)
}

// Regexp returns the compiled expression.
func (r *Regexp) Regexp() *regexp.Regexp {
	r.once.Do(func() { r.re = regexp.MustCompile(r.pattern) })
	return r.re
}

// String returns the source text of the pattern.
func (r *Regexp) String() string { return r.pattern }

// MatchString is regexp.Regexp.MatchString.
func (r *Regexp) MatchString(s string) bool { return r.Regexp().MatchString(s) }

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.Regexp().FindStringSubmatch(s) }

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (r *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return r.Regexp().FindAllStringSubmatch(s, n)
}

// FindSubmatch is regexp.Regexp.FindSubmatch.
func (r *Regexp) FindSubmatch(b []byte) [][]byte { return r.Regexp().FindSubmatch(b) }

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (r *Regexp) ReplaceAllString(src, repl string) string {
	return r.Regexp().ReplaceAllString(src, repl)
}
