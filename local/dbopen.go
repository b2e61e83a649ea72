package local

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// damagedDBError is a state.db that bbolt cannot read.
type damagedDBError struct{ msg string }

func (e *damagedDBError) Error() string { return e.msg }

func isDamaged(err error) bool {
	var d *damagedDBError
	return errors.As(err, &d)
}

// openDB opens the endpoint's bbolt database at path and checks every page of it, turning
// damage into an error that names the file and the way out. bbolt trusts its file: a
// truncated or overwritten one makes Open and later reads panic or fault on the mapped
// memory, so both run with faults turned into panics, which are recovered.
func openDB(path string, timeout time.Duration) (db *bolt.DB, err error) {
	if err := preflight(path); err != nil {
		return nil, damaged(path, err)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			if db != nil {
				closeQuietly(db)
			} else {
				// bbolt.Open panicked holding the file open and locked, with no DB to close.
				closeFilesOf(path)
			}
			db, err = nil, damaged(path, fmt.Errorf("%v", p))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, err
		}
		return nil, damaged(path, err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if tx.Size() > info.Size() {
			return fmt.Errorf("it is %d bytes, and its pages reach %d: it was cut short", info.Size(), tx.Size())
		}
		// Reading every key of every bucket visits every page in use, here, where a fault
		// is recovered (bbolt's own Tx.Check reads pages on a goroutine of its own).
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
	}); err != nil {
		closeQuietly(db)
		return nil, damaged(path, err)
	}
	return db, nil
}

func damaged(path string, cause error) error {
	return &damagedDBError{fmt.Sprintf("the local endpoint's database %s is damaged (%v); `agentcore local reset --yes` removes it with every local runtime, image and parameter, and the next command starts afresh",
		path, cause)}
}

func walkBucket(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return walkBucket(child)
			}
		}
		return nil
	})
}

// closeQuietly closes a database whose pages may fault.
func closeQuietly(db *bolt.DB) {
	defer func() { recover() }()
	db.Close()
}

// bbolt's file format (go.etcd.io/bbolt/internal/common): a page header, then in a meta page
// the fields of metaFields.
const (
	pageHeaderSize   = 16
	boltMagic        = 0xED0CDAED
	freelistPageFlag = 0x10
	noFreelist       = ^uint64(0)
)

type metaFields struct {
	Magic, Version, PageSize, Flags uint32
	Root, Sequence                  uint64
	Freelist, Pgid, Txid, Checksum  uint64
}

// preflight reads the meta pages and checks what bbolt.Open trusts without checking: that the
// pages they count are all in the file, and that the freelist they name is a freelist page.
// A file that is empty or absent is new.
func preflight(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return err
	}
	readMeta := func(off int64) *metaFields {
		buf := make([]byte, pageHeaderSize+64)
		if _, err := f.ReadAt(buf, off); err != nil {
			return nil
		}
		var m metaFields
		binary.Read(bytes.NewReader(buf[pageHeaderSize:]), binary.NativeEndian, &m)
		h := fnv.New64a()
		h.Write(buf[pageHeaderSize : pageHeaderSize+56])
		if m.Magic != boltMagic || m.Checksum != h.Sum64() || m.PageSize < 512 || m.PageSize > 1<<20 {
			return nil
		}
		return &m
	}
	m := readMeta(0)
	ps := int64(os.Getpagesize())
	if m != nil {
		ps = int64(m.PageSize)
	}
	if m1 := readMeta(ps); m1 != nil && (m == nil || m1.Txid > m.Txid) {
		m = m1
	}
	if m == nil {
		return errors.New("neither of its meta pages is valid")
	}
	ps = int64(m.PageSize)
	if int64(m.Pgid)*ps > info.Size() || m.Pgid > uint64(info.Size()) {
		return fmt.Errorf("it is %d bytes, and its pages reach %d: it was cut short", info.Size(), int64(m.Pgid)*ps)
	}
	if m.Freelist != noFreelist {
		hdr := make([]byte, pageHeaderSize)
		if m.Freelist >= m.Pgid {
			return fmt.Errorf("its freelist page %d is past its last page", m.Freelist)
		}
		if _, err := f.ReadAt(hdr, int64(m.Freelist)*ps); err != nil {
			return fmt.Errorf("reading its freelist page: %w", err)
		}
		if flags := binary.NativeEndian.Uint16(hdr[8:10]); flags&freelistPageFlag == 0 {
			return fmt.Errorf("page %d, which its meta page names as the freelist, is not one (flags %#x)", m.Freelist, flags)
		}
	}
	return nil
}

// closeFilesOf closes this process's descriptors of path (Linux: /proc/self/fd), which
// releases the lock a panicking bbolt.Open left on it.
func closeFilesOf(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && target == abs {
			if fd, err := strconv.Atoi(e.Name()); err == nil {
				closeFD(fd)
			}
		}
	}
}
