package memory

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkIndexLoad100k is the first retrieval of a memory that holds 100,000 records of 12
// words: its index loaded from the database.
func BenchmarkIndexLoad100k(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "state.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 19999)
	err = db.Update(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketRecords)
		if err != nil {
			return err
		}
		for i := range 100000 {
			w := make([]string, 12)
			for j := range w {
				w[j] = fmt.Sprintf("w%d", zipf.Uint64())
			}
			rec := &recordRec{ID: newRecordID(), MemoryID: "m-0123456789", Namespaces: []string{fmt.Sprintf("/f/%d", i%100)}, Text: strings.Join(w, " "), CreatedAt: time.Now()}
			if err := putJSON(bk, key(rec.MemoryID, rec.ID), rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMemories)
		if err != nil {
			return err
		}
		return b.Put([]byte("m-0123456789"), []byte("{}"))
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		x := newIndex(db)
		if err := x.ensure("m-0123456789"); err != nil || len(x.mems["m-0123456789"].byID) != 100000 {
			b.Fatal(err)
		}
	}
}
