//go:build unix

package server

import (
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of the file fi describes.
func keepOwner(f *os.File, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
