// Package ssm serves SSM Parameter Store operations (awsJson1_1, X-Amz-Target AmazonSSM.*) for
// the local provider.
package ssm

import (
	"net/http"

	bolt "go.etcd.io/bbolt"
)

// New returns the SSM handler. TODO(local-ecr helper): implement.
func New(db *bolt.DB, account, region string) (http.Handler, error) {
	return http.NotFoundHandler(), nil
}
