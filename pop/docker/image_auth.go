package docker

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/docker/docker/api/types/registry"
)

// dockerConfigFile is the part of a Docker config.json that pulls read:
// the "auths" section, keyed by registry (host[:port], or a URL such as
// https://index.docker.io/v1/). Credential helpers (credsStore,
// credHelpers) need programs of their own and are not run.
type dockerConfigFile struct {
	Auths map[string]struct {
		Auth          string `json:"auth"` // base64 of user:password
		Username      string `json:"username"`
		Password      string `json:"password"`
		IdentityToken string `json:"identitytoken"`
	} `json:"auths"`
}

// registryCreds are one registry's credentials from the config file.
type registryCreds struct {
	cfg registry.AuthConfig
}

// secrets are the strings no log line or error may carry.
func (c registryCreds) secrets() []string {
	return []string{c.cfg.Password, c.cfg.IdentityToken, c.cfg.Auth}
}

// encoded is the X-Registry-Auth value ImagePull sends to the engine.
func (c registryCreds) encoded() (string, error) {
	return registry.EncodeAuthConfig(c.cfg)
}

// CheckDockerConfig reads a Docker config.json as pulls will, so that a
// daemon can refuse a bad file at start instead of at the first pull. Its
// errors name the file and the entry, never a credential.
func CheckDockerConfig(path string) error {
	_, err := readDockerConfig(path)
	return err
}

// credsFor finds the credentials of registry host (reference.Domain of
// the image) in the config file at path; ok is false when the file has
// none for it. Errors never quote the file's content.
func credsFor(path, host string) (creds registryCreds, ok bool, err error) {
	f, err := readDockerConfig(path)
	if err != nil {
		return registryCreds{}, false, err
	}
	want := registryKey(host)
	for key, e := range f.Auths {
		if registryKey(key) != want {
			continue
		}
		user, pass := e.Username, e.Password
		if e.Auth != "" {
			// Checked by readDockerConfig.
			u, p, _ := decodeAuth(e.Auth)
			user, pass = u, p
		}
		return registryCreds{cfg: registry.AuthConfig{Username: user, Password: pass,
			IdentityToken: e.IdentityToken, ServerAddress: key}}, true, nil
	}
	return registryCreds{}, false, nil
}

func readDockerConfig(path string) (dockerConfigFile, error) {
	var f dockerConfigFile
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("docker config: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		// json's own message may quote a character of the file.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return f, fmt.Errorf("docker config %s is not valid JSON (at byte %d)", path, se.Offset)
		}
		return f, fmt.Errorf("docker config %s: want {\"auths\": {\"host:port\": {\"auth\": \"base64 of user:password\"}}}", path)
	}
	for key, e := range f.Auths {
		if e.Auth == "" {
			continue
		}
		if _, _, err := decodeAuth(e.Auth); err != nil {
			return f, fmt.Errorf("docker config %s: auths entry %q: %w", path, key, err)
		}
	}
	return f, nil
}

func decodeAuth(s string) (user, pass string, err error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return "", "", errors.New("auth is not base64 (want base64 of user:password)")
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" {
		return "", "", errors.New("auth is not base64 of user:password")
	}
	return user, pass, nil
}

// registryKey reduces a registry name or URL to host[:port], with Docker
// Hub's several names as one.
func registryKey(s string) string {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "docker.io"
	}
	return s
}

// redact replaces every non-empty secret in msg: the engine's errors should
// never echo a credential, and if one ever does, it stops here.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}
