package docker

// fnHint points at the reference of a docker function, for usage errors.
func fnHint(fn string) string {
	return "see the reference for " + fn + ": agentcore docs docker"
}
