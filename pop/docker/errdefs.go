package docker

import cerrdefs "github.com/containerd/errdefs"

// These name the errdefs behaviours the backend branches on, in one place.

func isNotFound(err error) bool { return cerrdefs.IsNotFound(err) }

func isConflict(err error) bool { return cerrdefs.IsConflict(err) || cerrdefs.IsAlreadyExists(err) }

func isInvalid(err error) bool { return cerrdefs.IsInvalidArgument(err) }

func isForbidden(err error) bool { return cerrdefs.IsPermissionDenied(err) }

func isUnavailable(err error) bool { return cerrdefs.IsUnavailable(err) }
