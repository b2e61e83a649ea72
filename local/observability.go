package local

import (
	"fmt"
	"os"
	"strconv"

	"github.com/agentcore/agentcore/local/logs"
)

// logsMaxBytes is the bound on the CloudWatch Logs store: AGENTCORE_LOCAL_LOGS_MAX_BYTES when
// set, logs.DefaultMaxBytes otherwise.
func logsMaxBytes() (int64, error) {
	v := os.Getenv(logs.MaxBytesEnv)
	if v == "" {
		return logs.DefaultMaxBytes, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 4096 {
		return 0, fmt.Errorf("%s=%q: expected a number of bytes of at least 4096 (e.g. %d for 256 MiB)", logs.MaxBytesEnv, v, logs.DefaultMaxBytes)
	}
	return n, nil
}
