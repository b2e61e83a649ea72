// Package logs serves Amazon CloudWatch Logs for the local provider (awsJson1_1, X-Amz-Target
// Logs_20140328.*, following the botocore model logs/2014-03-28): log groups, log streams,
// PutLogEvents, GetLogEvents and FilterLogEvents, so the AWS CLI, boto3 and aws-sdk-go-v2's
// cloudwatchlogs client read the agents' output from the local endpoint as they would from AWS.
//
// Storage: log groups and streams are records in the endpoint's bbolt database; events are
// appended to segment files under DIR/logs/g<group id>/<segment>.seg, one length- and
// CRC-prefixed record per event, written with one write(2) per batch (no fsync: a kill -9
// loses nothing the kernel has; a torn record at a file's end, from a machine crash, is
// dropped at load). Every event is also held in memory, which makes FilterLogEvents a scan of
// a slice. The total size of the segments is bounded (Config.MaxBytes): past it the oldest
// segment of the whole store is deleted, oldest events first.
package logs

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

var (
	bucketGroups  = []byte("logs.groups")  // group name → groupRec JSON
	bucketStreams = []byte("logs.streams") // group id (8 bytes) + stream name → streamRec JSON
)

// DefaultMaxBytes bounds the event segments of a store when Config.MaxBytes is 0.
const DefaultMaxBytes = 256 << 20

// MaxBytesEnv overrides the bound, in bytes, for the local endpoint.
const MaxBytesEnv = "AGENTCORE_LOCAL_LOGS_MAX_BYTES"

// Config is what the store is built from: the common service config (DB; Dir, where the
// segments are kept; Account, Region, Now, Logf) and the bound on the segments' size.
type Config struct {
	awsproto.Config
	MaxBytes int64 // bound on the segments' total size; 0: DefaultMaxBytes
}

// Store is the CloudWatch Logs service: its on-disk state and the events held in memory.
type Store struct {
	cfg Config
	db  *bolt.DB

	mu     sync.RWMutex
	groups map[string]*group
	total  int64 // bytes of all segments
	segSeq uint64
	closed bool
	// changed is closed (and replaced) whenever events are appended or the store closes:
	// live tail sessions wait on it.
	changed chan struct{}
}

type groupRec struct {
	ID              uint64 `json:"id"`
	Created         int64  `json:"created"` // ms
	RetentionInDays int32  `json:"retentionInDays,omitempty"`
}

type streamRec struct {
	Created int64 `json:"created"`
}

type group struct {
	name    string
	rec     groupRec
	dir     string
	streams map[string]*stream
	events  []event // in append order
	sorted  bool    // events' timestamps never decrease (the usual case): binary search applies
	segs    []*segment
	active  *os.File // the last segment, open for appending
	// cursors are the positions of the sources that feed the group (a container's log
	// timestamp), written in the same write as their events: see PutTracked.
	cursors map[string]int64
}

type stream struct {
	name                    string
	created                 int64
	first, last, lastIngest int64
	count                   int
	bytes                   int64
}

type segment struct {
	seq   uint64
	path  string
	size  int64
	count int
}

type event struct {
	ts, ingest int64
	id         uint64 // segment seq << 32 | index: unique, increasing in append order
	stream     *stream
	msg        string
}

// Event is a log event to append.
type Event struct {
	Timestamp int64 // ms since the epoch
	Message   string
}

// New loads the store: groups and streams from cfg.DB, events from the segment files under
// cfg.Dir (a torn record at a segment's end is cut off).
func New(cfg Config) (*Store, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	cfg.Config = cfg.Config.WithDefaults()
	db := cfg.DB
	if db == nil {
		return nil, errors.New("logs: Config.DB is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, db: db, groups: map[string]*group{}, changed: make(chan struct{})}
	err := db.Update(func(tx *bolt.Tx) error {
		gb, err := tx.CreateBucketIfNotExists(bucketGroups)
		if err != nil {
			return err
		}
		sb, err := tx.CreateBucketIfNotExists(bucketStreams)
		if err != nil {
			return err
		}
		byID := map[uint64]*group{}
		if err := gb.ForEach(func(k, v []byte) error {
			var rec groupRec
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("log group %q: %w", k, err)
			}
			g := s.newGroup(string(k), rec)
			s.groups[g.name] = g
			byID[rec.ID] = g
			return nil
		}); err != nil {
			return err
		}
		return sb.ForEach(func(k, v []byte) error {
			if len(k) < 8 {
				return nil
			}
			g := byID[binary.BigEndian.Uint64(k[:8])]
			if g == nil {
				return nil // a deleted group's leftover
			}
			var rec streamRec
			json.Unmarshal(v, &rec)
			name := string(k[8:])
			g.streams[name] = &stream{name: name, created: rec.Created}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("logs: loading log groups: %w", err)
	}
	// Directories of groups that no longer exist (deleted before their files were) go.
	known := map[string]bool{}
	for _, g := range s.groups {
		known[filepath.Base(g.dir)] = true
	}
	entries, _ := os.ReadDir(cfg.Dir)
	for _, e := range entries {
		if !known[e.Name()] {
			os.RemoveAll(filepath.Join(cfg.Dir, e.Name()))
		}
	}
	for _, g := range s.groups {
		if err := s.load(g); err != nil {
			return nil, fmt.Errorf("logs: loading log group %s: %w", g.name, err)
		}
	}
	s.mu.Lock()
	s.enforceBound()
	s.mu.Unlock()
	return s, nil
}

func (s *Store) newGroup(name string, rec groupRec) *group {
	return &group{name: name, rec: rec, dir: filepath.Join(s.cfg.Dir, "g"+strconv.FormatUint(rec.ID, 10)),
		streams: map[string]*stream{}, sorted: true, cursors: map[string]int64{}}
}

// Close closes the open segment files.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.wake()
	for _, g := range s.groups {
		if g.active != nil {
			g.active.Close()
			g.active = nil
		}
	}
	return nil
}

// record layout: uint32 payload length, uint32 CRC-32 (IEEE) of the payload, payload:
// uvarint len + stream name, varint timestamp, varint ingestion time, message (the rest).
const recordHeader = 8

func appendRecord(buf []byte, streamName string, ts, ingest int64, msg string) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	buf = binary.AppendUvarint(buf, uint64(len(streamName)))
	buf = append(buf, streamName...)
	buf = binary.AppendVarint(buf, ts)
	buf = binary.AppendVarint(buf, ingest)
	buf = append(buf, msg...)
	payload := buf[start+recordHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.ChecksumIEEE(payload))
	return buf
}

// load reads a group's segments; a segment's torn or corrupt tail is truncated away.
func (s *Store) load(g *group) error {
	entries, err := os.ReadDir(g.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	var seqs []uint64
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".seg")
		if v, err := strconv.ParseUint(n, 10, 64); ok && err == nil {
			seqs = append(seqs, v)
		} else {
			os.Remove(filepath.Join(g.dir, e.Name())) // temporary files of an interrupted write
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for _, seq := range seqs {
		path := filepath.Join(g.dir, strconv.FormatUint(seq, 10)+".seg")
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seg := &segment{seq: seq, path: path}
		off := 0
		var cuts [][2]int // damaged byte ranges in the middle of the segment
		for off+recordHeader <= len(data) {
			name, ts, ingest, msg, n, ok := decodeRecord(data, off)
			if !ok {
				next := nextRecord(data, off+1)
				if next >= len(data) {
					break // a torn tail: truncated below
				}
				s.cfg.Logf("logs: %s: skipping a damaged record at offset %d (%d bytes)", path, off, next-off)
				cuts = append(cuts, [2]int{off, next})
				off = next
				continue
			}
			if key, ok := strings.CutPrefix(name, cursorPrefix); ok {
				g.cursors[key] = max(g.cursors[key], ts)
				off += recordHeader + n
				continue
			}
			st := g.streams[name]
			if st == nil {
				// An event of a stream whose record is gone (it cannot be, short of editing
				// the database): keep the event under a stream made up on the spot.
				st = &stream{name: name, created: ingest}
				g.streams[name] = st
			}
			g.add(event{ts: ts, ingest: ingest, id: seq<<32 | uint64(seg.count), stream: st, msg: msg})
			seg.count++
			off += recordHeader + n
		}
		if len(cuts) > 0 {
			size, err := rewriteWithout(path, data[:off], cuts)
			if err != nil {
				return err
			}
			off = size
		} else if off < len(data) {
			s.cfg.Logf("logs: %s: dropping a torn record at offset %d (%d bytes)", path, off, len(data)-off)
			if err := os.Truncate(path, int64(off)); err != nil {
				return err
			}
		}
		seg.size = int64(off)
		g.segs = append(g.segs, seg)
		s.total += seg.size
		if seq >= s.segSeq {
			s.segSeq = seq + 1
		}
	}
	return nil
}

func (g *group) add(e event) {
	if n := len(g.events); n > 0 && e.ts < g.events[n-1].ts {
		g.sorted = false
	}
	g.events = append(g.events, e)
	st := e.stream
	if st.count == 0 || e.ts < st.first {
		st.first = e.ts
	}
	if e.ts > st.last {
		st.last = e.ts
	}
	if e.ingest > st.lastIngest {
		st.lastIngest = e.ingest
	}
	st.count++
	st.bytes += int64(len(e.msg))
}

// segmentLimit is the size at which a group's segment is closed and a new one begun.
func (s *Store) segmentLimit() int64 {
	return min(4<<20, max(s.cfg.MaxBytes/8, 4096))
}

// append writes events to a stream (which must exist) with one write and adds them to memory.
func (s *Store) append(g *group, st *stream, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	now := s.cfg.Now().UnixMilli()
	if g.active == nil || g.segs[len(g.segs)-1].size >= s.segmentLimit() {
		if err := s.roll(g); err != nil {
			return err
		}
	}
	seg := g.segs[len(g.segs)-1]
	var buf []byte
	for _, e := range events {
		buf = appendRecord(buf, st.name, e.Timestamp, now, e.Message)
	}
	if _, err := g.active.Write(buf); err != nil {
		// Cut back to the last whole record, so no half batch is ever read back.
		g.active.Truncate(seg.size)
		g.active.Seek(seg.size, io.SeekStart)
		return fmt.Errorf("writing log events: %w", err)
	}
	for _, e := range events {
		g.add(event{ts: e.Timestamp, ingest: now, id: seg.seq<<32 | uint64(seg.count), stream: st, msg: e.Message})
		seg.count++
	}
	seg.size += int64(len(buf))
	s.total += int64(len(buf))
	s.enforceBound()
	s.wake()
	return nil
}

// wake tells the live tail sessions that events came (or that the store closed); the
// caller holds mu for writing.
func (s *Store) wake() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Store) roll(g *group) error {
	if g.active != nil {
		g.active.Close()
		g.active = nil
	}
	if err := os.MkdirAll(g.dir, 0o700); err != nil {
		return err
	}
	if n := len(g.segs); n > 0 && g.segs[n-1].size < s.segmentLimit() {
		f, err := os.OpenFile(g.segs[n-1].path, os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		g.active = f
		return nil
	}
	seq := s.segSeq
	s.segSeq++
	path := filepath.Join(g.dir, strconv.FormatUint(seq, 10)+".seg")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// Every segment begins with the group's cursors, so that dropping older segments never
	// loses them.
	var buf []byte
	for k, v := range g.cursors {
		buf = appendRecord(buf, cursorPrefix+k, v, 0, "")
	}
	if _, err := f.Write(buf); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	g.active = f
	g.segs = append(g.segs, &segment{seq: seq, path: path, size: int64(len(buf))})
	s.total += int64(len(buf))
	return nil
}

// cursorPrefix marks a cursor record: its stream name is the prefix and the cursor's key, its
// timestamp the position.
const cursorPrefix = "\x00cursor:"

// enforceBound deletes the oldest segments of the whole store while it is over its bound
// (never a group's only, active segment while other data can go first).
func (s *Store) enforceBound() {
	for s.total > s.cfg.MaxBytes {
		var oldest *group
		for _, g := range s.groups {
			if len(g.segs) == 0 || (len(g.segs) == 1 && g.segs[0].size == 0) {
				continue
			}
			if oldest == nil || g.segs[0].seq < oldest.segs[0].seq {
				oldest = g
			}
		}
		if oldest == nil {
			return
		}
		s.dropFirstSegment(oldest)
	}
}

func (s *Store) dropFirstSegment(g *group) {
	seg := g.segs[0]
	if len(g.segs) == 1 && g.active != nil {
		g.active.Close()
		g.active = nil
	}
	os.Remove(seg.path)
	g.segs = g.segs[1:]
	s.total -= seg.size
	g.events = append([]event(nil), g.events[seg.count:]...)
	for _, st := range g.streams {
		st.count, st.bytes, st.first, st.last = 0, 0, 0, 0
	}
	events := g.events
	g.events, g.sorted = nil, true
	for _, e := range events {
		g.add(e)
	}
	s.cfg.Logf("logs: over the %d-byte bound: dropped %d oldest events of %s", s.cfg.MaxBytes, seg.count, g.name)
}

// ---- metadata ----

var errGroupExists = errors.New("group exists")

func (s *Store) createGroup(name string, now int64) (*group, error) {
	if g := s.groups[name]; g != nil {
		return g, errGroupExists
	}
	var rec groupRec
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketGroups)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		rec = groupRec{ID: id, Created: now}
		data, _ := json.Marshal(rec)
		return b.Put([]byte(name), data)
	})
	if err != nil {
		return nil, err
	}
	g := s.newGroup(name, rec)
	s.groups[name] = g
	return g, nil
}

func streamKey(g *group, name string) []byte {
	k := binary.BigEndian.AppendUint64(nil, g.rec.ID)
	return append(k, name...)
}

var errStreamExists = errors.New("stream exists")

func (s *Store) createStream(g *group, name string, now int64) (*stream, error) {
	if st := g.streams[name]; st != nil {
		return st, errStreamExists
	}
	data, _ := json.Marshal(streamRec{Created: now})
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStreams).Put(streamKey(g, name), data)
	}); err != nil {
		return nil, err
	}
	st := &stream{name: name, created: now}
	g.streams[name] = st
	return st, nil
}

func (s *Store) deleteGroup(g *group) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketGroups).Delete([]byte(g.name)); err != nil {
			return err
		}
		c := tx.Bucket(bucketStreams).Cursor()
		prefix := streamKey(g, "")
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if g.active != nil {
		g.active.Close()
	}
	for _, seg := range g.segs {
		s.total -= seg.size
	}
	delete(s.groups, g.name)
	return os.RemoveAll(g.dir) // a leftover is removed by the next Open
}

func (s *Store) deleteStream(g *group, st *stream) error {
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStreams).Delete(streamKey(g, st.name))
	}); err != nil {
		return err
	}
	delete(g.streams, st.name)
	// Its events stay in the segments until those are dropped; they are no longer shown.
	kept := g.events[:0]
	for _, e := range g.events {
		if e.stream != st {
			kept = append(kept, e)
		}
	}
	g.events = kept
	return nil
}

// Put appends events to a group's stream, creating both when needed: how the endpoint
// writes its agents' output. Events are given in the order they happened.
func (s *Store) Put(groupName, streamName string, events []Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("logs: store closed")
	}
	now := s.cfg.Now().UnixMilli()
	g, err := s.createGroup(groupName, now)
	if err != nil && err != errGroupExists {
		return err
	}
	st, err := s.createStream(g, streamName, now)
	if err != nil && err != errStreamExists {
		return err
	}
	return s.append(g, st, events)
}

// PutTracked appends events to several streams of a group and records the position of their
// source (key, e.g. a container's id) in the same write: after a crash either both are there
// or neither. Groups and streams are created as needed.
func (s *Store) PutTracked(groupName string, streams map[string][]Event, key string, pos int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("logs: store closed")
	}
	now := s.cfg.Now().UnixMilli()
	g, err := s.createGroup(groupName, now)
	if err != nil && err != errGroupExists {
		return err
	}
	names := make([]string, 0, len(streams))
	for name := range streams {
		names = append(names, name)
	}
	sort.Strings(names)
	var sts []*stream
	for _, name := range names {
		st, err := s.createStream(g, name, now)
		if err != nil && err != errStreamExists {
			return err
		}
		sts = append(sts, st)
	}
	if g.active == nil || g.segs[len(g.segs)-1].size >= s.segmentLimit() {
		if err := s.roll(g); err != nil {
			return err
		}
	}
	seg := g.segs[len(g.segs)-1]
	var buf []byte
	for i, name := range names {
		for _, e := range streams[name] {
			buf = appendRecord(buf, sts[i].name, e.Timestamp, now, e.Message)
		}
	}
	buf = appendRecord(buf, cursorPrefix+key, pos, 0, "")
	if _, err := g.active.Write(buf); err != nil {
		g.active.Truncate(seg.size)
		g.active.Seek(seg.size, io.SeekStart)
		return fmt.Errorf("writing log events: %w", err)
	}
	for i, name := range names {
		for _, e := range streams[name] {
			g.add(event{ts: e.Timestamp, ingest: now, id: seg.seq<<32 | uint64(seg.count), stream: sts[i], msg: e.Message})
			seg.count++
		}
	}
	g.cursors[key] = max(g.cursors[key], pos)
	seg.size += int64(len(buf))
	s.total += int64(len(buf))
	s.enforceBound()
	s.wake()
	return nil
}

// Cursor returns the position last recorded for key in a group by PutTracked (0: none).
func (s *Store) Cursor(groupName, key string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if g := s.groups[groupName]; g != nil {
		return g.cursors[key]
	}
	return 0
}

// Stats reports the store's size: events held and bytes of segments.
func (s *Store) Stats() (events int, bytes int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, g := range s.groups {
		events += len(g.events)
	}
	return events, s.total
}
