//go:build !unix

package server

import "os"

// keepOwner: only unix files have an owner to keep.
func keepOwner(*os.File, os.FileInfo) error { return nil }
