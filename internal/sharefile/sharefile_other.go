//go:build !windows

package state

import "os"

// readFile, rename and remove are os.ReadFile, os.Rename and os.Remove; on Windows they let
// runs read, replace and remove the same files at once (fileshare_windows.go).
func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func rename(from, to string) error { return os.Rename(from, to) }

func remove(path string) error { return os.Remove(path) }
