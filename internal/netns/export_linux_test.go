package netns

// SetBeforeGoAhead makes Start call f after the init said it is ready, before the go-ahead.
func SetBeforeGoAhead(f func()) { testHookBeforeGoAhead = f }
