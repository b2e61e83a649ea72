package awsproto

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestNewService(t *testing.T) {
	type svc struct{ cfg Config }
	build := func(c Config) *svc { return &svc{c} }
	// a service without state needs no database
	s, err := NewService(Config{Account: "123456789012"}, "sts", build)
	if err != nil || s.cfg.Region != "us-east-1" || s.cfg.Now == nil || s.cfg.Logf == nil {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := NewService(Config{}, "ssm", build, []byte("b")); err == nil {
		t.Fatal("buckets without a database: no error")
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewService(Config{DB: db, Region: "eu-west-1"}, "ssm", build, []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("a")) == nil || tx.Bucket([]byte("b")) == nil {
			t.Error("buckets not created")
		}
		return nil
	})
}
