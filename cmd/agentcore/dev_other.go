//go:build !linux

package main

import "os/exec"

// devChildAttrs: only Linux can tie a child's life to its parent's; elsewhere the follower
// ends when dev stops it.
func devChildAttrs(cmd *exec.Cmd) {}
