package awsproto

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Config is what every local service is built from: `New(cfg Config) (*Service, error)`, where
// a service's own Config embeds this one and adds only the dependencies that service alone
// has.
type Config struct {
	DB      *bolt.DB // the endpoint's state database
	Dir     string   // the service's own folder, for services that keep files
	Account string   // 12 digits, in ARNs
	Region  string   // default us-east-1
	Now     func() time.Time
	Logf    func(format string, args ...any)
}

// WithDefaults returns c with its defaults filled in: region us-east-1, the wall clock, a
// logger that drops its lines.
func (c Config) WithDefaults() Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Open creates the service's bbolt buckets in c.DB, which must be set when there are any;
// service names the service in errors.
func (c Config) Open(service string, buckets ...[]byte) error {
	if len(buckets) == 0 {
		return nil
	}
	if c.DB == nil {
		return errors.New(service + ": Config.DB is required")
	}
	if err := c.DB.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("%s: creating its state: %w", service, err)
	}
	return nil
}

// NewService builds a service whose state is its Config and its bbolt buckets: it fills in
// cfg's defaults, creates the buckets, then calls build; name names the service in errors.
func NewService[S any](cfg Config, name string, build func(Config) S, buckets ...[]byte) (S, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Open(name, buckets...); err != nil {
		var zero S
		return zero, err
	}
	return build(cfg), nil
}
