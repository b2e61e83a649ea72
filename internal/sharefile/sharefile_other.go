//go:build !windows

package sharefile

import "os"

// readFile, rename and remove are os.ReadFile, os.Rename and os.Remove; on Windows they let
// runs read, replace and remove the same files at once (fileshare_windows.go).
func ReadFile(path string) ([]byte, error) { return os.ReadFile(path) }

// Rename is os.Rename.
func Rename(from, to string) error { return os.Rename(from, to) }

// Remove is os.Remove.
func Remove(path string) error { return os.Remove(path) }
