// Package sts serves STS GetCallerIdentity (awsQuery protocol) for the local provider.
package sts

import "net/http"

// New returns the STS handler. TODO(local-ecr helper): implement.
func New(account string) http.Handler { return http.NotFoundHandler() }
