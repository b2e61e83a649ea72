package memory

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"

	bolt "go.etcd.io/bbolt"
)

// index is the in-memory retrieval index of every memory's records, loaded from the database
// at a memory's first listing or retrieval and kept in step after each committed change. Per memory it holds one
// small doc per record (id, namespace, strategy, creation time, length) and, per term, a
// posting list of (doc, term frequency); the text stays in the database. A deleted record
// leaves a dead doc until dead ones outnumber live ones, when the postings are compacted.
type index struct {
	db   *bolt.DB
	mu   sync.RWMutex
	mems map[string]*memIndex // the memories loaded (ensure)
}

type memIndex struct {
	docs  []doc
	byID  map[string]int32
	post  map[string][]posting
	nsIDs map[string]int32 // namespace → its number in ns
	ns    []nsStat
	dead  int
}

type doc struct {
	id       string
	strategy string
	created  int64 // UnixNano
	ns       int32
	length   int32
	live     bool
}

type posting struct {
	doc int32
	tf  uint16
}

// nsStat is one namespace's live records and their total length, for BM25's N and avgdl.
type nsStat struct {
	name   string
	n      int
	length int
}

// change is one record put or deleted, applied to the index after its transaction commits.
type change struct {
	memoryID string
	put      *recordRec
	del      string
}

// scope is the records a listing or retrieval looks at: a namespace (prefix, with * matching
// any run of characters), a namespace path (that namespace or below it), a strategy, and
// metadata filters (checked against the stored record).
type scope struct {
	namespace, path, strategy string
	filters                   []metaFilter
}

func (sc scope) matchNamespace(ns string) bool {
	if sc.namespace != "" && !globPrefix(sc.namespace, ns) {
		return false
	}
	if sc.path != "" && sc.path != "/" && ns != sc.path && !strings.HasPrefix(ns, sc.path+"/") {
		return false
	}
	if sc.path == "/" && !strings.HasPrefix(ns, "/") {
		return false
	}
	return true
}

// globPrefix reports whether s starts with pattern, where * in pattern matches any run of
// characters.
func globPrefix(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1:] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

func newIndex(db *bolt.DB) *index { return &index{db: db, mems: map[string]*memIndex{}} }

// ensure loads memory id's records into the index on its first use, so that the endpoint's
// start costs nothing however many records it keeps (100,000 records of 12 words load in about
// 0.8 s: BenchmarkIndexLoad100k). It must not be called inside a transaction of the caller's:
// it opens its own, after taking the lock, so that every change committed before is in what it
// reads and every change committed after is applied once it is loaded.
func (x *index) ensure(id string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.mems[id] != nil {
		return nil
	}
	return x.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMemories).Get([]byte(id)) == nil {
			return nil
		}
		m := &memIndex{byID: map[string]int32{}, post: map[string][]posting{}, nsIDs: map[string]int32{}}
		prefix := append([]byte(id), 0)
		c := tx.Bucket(bucketRecords).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec recordRec
			if json.Unmarshal(v, &rec) == nil {
				m.add(&rec)
			}
		}
		x.mems[id] = m
		return nil
	})
}

// apply applies committed changes to the memories loaded (the others read them when they are).
func (x *index) apply(changes ...change) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range changes {
		m := x.mems[c.memoryID]
		if m == nil {
			continue
		}
		if c.put != nil {
			m.add(c.put)
		} else {
			m.remove(c.del)
		}
	}
}

func (x *index) dropMemory(id string) {
	x.mu.Lock()
	delete(x.mems, id)
	x.mu.Unlock()
}

func (m *memIndex) add(rec *recordRec) {
	m.remove(rec.ID)
	ns := rec.namespace()
	nsID, ok := m.nsIDs[ns]
	if !ok {
		nsID = int32(len(m.ns))
		m.nsIDs[ns] = nsID
		m.ns = append(m.ns, nsStat{name: ns})
	}
	terms := tokenize(rec.Text)
	d := doc{id: rec.ID, strategy: rec.StrategyID, created: rec.CreatedAt.UnixNano(), ns: nsID, length: int32(len(terms)), live: true}
	n := int32(len(m.docs))
	m.docs = append(m.docs, d)
	m.byID[rec.ID] = n
	tf := map[string]int{}
	for _, t := range terms {
		tf[t]++
	}
	for t, c := range tf {
		m.post[t] = append(m.post[t], posting{doc: n, tf: uint16(min(c, math.MaxUint16))})
	}
	m.ns[nsID].n++
	m.ns[nsID].length += len(terms)
}

func (m *memIndex) remove(id string) {
	i, ok := m.byID[id]
	if !ok {
		return
	}
	d := &m.docs[i]
	d.live = false
	m.ns[d.ns].n--
	m.ns[d.ns].length -= int(d.length)
	delete(m.byID, id)
	m.dead++
	if m.dead > 1024 && m.dead > len(m.docs)/2 {
		m.compact()
	}
}

// compact drops the dead docs and renumbers the postings.
func (m *memIndex) compact() {
	renum := make([]int32, len(m.docs))
	docs := make([]doc, 0, len(m.docs)-m.dead)
	for i, d := range m.docs {
		renum[i] = -1
		if d.live {
			renum[i] = int32(len(docs))
			m.byID[d.id] = int32(len(docs))
			docs = append(docs, d)
		}
	}
	for t, ps := range m.post {
		out := ps[:0]
		for _, p := range ps {
			if n := renum[p.doc]; n >= 0 {
				out = append(out, posting{doc: n, tf: p.tf})
			}
		}
		if len(out) == 0 {
			delete(m.post, t)
		} else {
			m.post[t] = out
		}
	}
	m.docs, m.dead = docs, 0
}

// inScope returns, per namespace number, whether the namespace is in scope, with the number
// of records and total length of those namespaces.
func (m *memIndex) inScope(sc scope) (ok []bool, n, length int) {
	ok = make([]bool, len(m.ns))
	for i, s := range m.ns {
		if s.n > 0 && sc.matchNamespace(s.name) {
			ok[i] = true
			n += s.n
			length += s.length
		}
	}
	return ok, n, length
}

// list returns the live docs in scope (metadata filters aside), newest first.
func (x *index) list(memoryID string, sc scope) []doc {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m := x.mems[memoryID]
	if m == nil {
		return nil
	}
	ok, _, _ := m.inScope(sc)
	var out []doc
	for _, d := range m.docs {
		if d.live && ok[d.ns] && (sc.strategy == "" || d.strategy == sc.strategy) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sortKey() < out[j].sortKey() })
	return out
}

// sortKey orders docs newest first, then by id.
func (d doc) sortKey() string { return fmt.Sprintf("%020d|%s", math.MaxInt64-d.created, d.id) }

type hit struct {
	id    string
	score float64
	doc   int32
}

// BM25's parameters: the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// search ranks the live docs in scope against query by Okapi BM25:
//
//	score(d) = Σ_t idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
//	idf(t)   = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
//
// over the query's distinct terms, with N, avgdl and df counted over the records of the
// namespaces in scope. It returns the topK with a positive score that accept (nil: all)
// takes, best first, ties by id.
func (x *index) search(memoryID string, sc scope, query string, topK int, accept func(*doc) bool) []hit {
	x.mu.RLock()
	defer x.mu.RUnlock()
	m := x.mems[memoryID]
	if m == nil {
		return nil
	}
	ok, n, length := m.inScope(sc)
	if n == 0 {
		return nil
	}
	avgdl := float64(length) / float64(n)
	acc := accumulators.Get().(*accumulator)
	defer accumulators.Put(acc)
	acc.reset(len(m.docs))
	seen := map[string]bool{}
	var in []posting
	for _, t := range tokenize(query) {
		if seen[t] {
			continue
		}
		seen[t] = true
		in = in[:0]
		for _, p := range m.post[t] {
			if d := &m.docs[p.doc]; d.live && ok[d.ns] {
				in = append(in, p)
			}
		}
		if len(in) == 0 {
			continue
		}
		df := float64(len(in))
		idf := math.Log(1 + (float64(n)-df+0.5)/(df+0.5))
		for _, p := range in {
			d := &m.docs[p.doc]
			if sc.strategy != "" && d.strategy != sc.strategy {
				continue
			}
			tf := float64(p.tf)
			acc.add(p.doc, idf*tf*(bm25K1+1)/(tf+bm25K1*(1-bm25B+bm25B*float64(d.length)/avgdl)))
		}
	}
	// The best first, ties by id: a sort of the touched docs would cost n log n for n in
	// the tens of thousands; a bounded heap costs n log k. Docs accept refuses are skipped,
	// so the heap is filled from the candidates in order until topK are accepted.
	better := func(a, b hit) bool { return a.score > b.score || (a.score == b.score && a.id < b.id) }
	cands := make([]int32, 0, len(acc.touched))
	for _, i := range acc.touched {
		if acc.score[i] > 0 {
			cands = append(cands, i)
		}
	}
	var out []hit
	for len(out) < topK && len(cands) > 0 {
		want := topK - len(out)
		h := &hitHeap{better: better}
		for _, i := range cands {
			x := hit{id: m.docs[i].id, score: acc.score[i], doc: i}
			if len(h.hits) < want {
				heap.Push(h, x)
			} else if better(x, h.hits[0]) {
				h.hits[0] = x
				heap.Fix(h, 0)
			}
		}
		best := make([]hit, len(h.hits))
		for k := len(best) - 1; k >= 0; k-- {
			best[k] = heap.Pop(h).(hit)
		}
		taken := map[int32]bool{}
		for _, x := range best {
			taken[x.doc] = true
			if accept == nil || accept(&m.docs[x.doc]) {
				out = append(out, x)
			}
		}
		rest := cands[:0]
		for _, i := range cands {
			if !taken[i] {
				rest = append(rest, i)
			}
		}
		cands = rest
	}
	return out
}

// accumulator holds one search's scores, indexed by doc; pooled, since a memory of 100,000
// records would otherwise allocate 800 KB a query.
type accumulator struct {
	score   []float64
	touched []int32
}

var accumulators = sync.Pool{New: func() any { return &accumulator{} }}

func (a *accumulator) reset(n int) {
	for _, i := range a.touched {
		a.score[i] = 0
	}
	a.touched = a.touched[:0]
	if cap(a.score) < n {
		a.score = make([]float64, n)
	}
	a.score = a.score[:n]
}

func (a *accumulator) add(doc int32, s float64) {
	if a.score[doc] == 0 {
		a.touched = append(a.touched, doc)
	}
	a.score[doc] += s
}

// hitHeap is a min-heap of hits by better: its root is the worst hit kept.
type hitHeap struct {
	hits   []hit
	better func(a, b hit) bool
}

func (h *hitHeap) Len() int           { return len(h.hits) }
func (h *hitHeap) Less(i, j int) bool { return h.better(h.hits[j], h.hits[i]) }
func (h *hitHeap) Swap(i, j int)      { h.hits[i], h.hits[j] = h.hits[j], h.hits[i] }
func (h *hitHeap) Push(x any)         { h.hits = append(h.hits, x.(hit)) }
func (h *hitHeap) Pop() any {
	x := h.hits[len(h.hits)-1]
	h.hits = h.hits[:len(h.hits)-1]
	return x
}

// stopwords are English words too common to rank by (built on first use: nothing of this
// package runs at the binary's start).
var stopwords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be been but by can could did do does for from had has have he her
		him his how i if in into is it its me my no not of on or our she so than that the their them then there these they
		this to too us was we were what when where which who why will with would you your yours`) {
		m[w] = true
	}
	return m
})

// tokenize splits text into terms: lower-cased runs of letters and digits, stopwords and
// one-letter words dropped, a plural "s" taken off words of more than three letters (not
// "ss"), so "Likes dogs" and "like dog" match.
func tokenize(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 2 || stopwords()[w] {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}
