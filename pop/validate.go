package pop

import (
	"regexp"

	"github.com/distribution/reference"
)

var (
	// Docker's container name rule; 63 because the name is also the hostname.
	nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}$`)
	envRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hexRE  = regexp.MustCompile(`^(sha256:)?[a-f0-9]{12,64}$`)
)

// ValidName reports whether s can name a container (and be its hostname).
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ValidEnvName reports whether s is a valid environment variable name.
func ValidEnvName(s string) bool { return envRE.MatchString(s) }

func validateName(kind, s string) error {
	if !nameRE.MatchString(s) {
		return Errorf(ErrInvalidArgument, "invalid %s name %q: use 2-63 letters, digits, '_', '.' or '-', starting with a letter or digit", kind, s)
	}
	return nil
}

// validateImageRef checks the syntax of an image reference or ID.
func validateImageRef(s string) error {
	if s == "" {
		return Errorf(ErrInvalidArgument, "an image is required")
	}
	if hexRE.MatchString(s) {
		return nil
	}
	if _, err := reference.ParseNormalizedNamed(s); err != nil {
		return Wrap(ErrInvalidArgument, err, "invalid image reference %q", s)
	}
	return nil
}

func validateEnv(kind string, m map[string]string) error {
	for k := range m {
		if !envRE.MatchString(k) {
			return Errorf(ErrInvalidArgument, "invalid %s key %q: must be a valid environment variable name", kind, k)
		}
	}
	return nil
}
