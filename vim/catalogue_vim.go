package vim

import (
	"fmt"
	"strings"
)

// VimType is the VIM instance type this driver serves; "docker.<name>"
// pins one plugin among several (protocol spec §1.2).
const VimType = "docker"

// VimInstance is the NFVO's DockerVimInstance (BaseVimInstance plus the
// Docker fields). It is parameter 0 of every call and the answer of
// refresh, which must echo it: every key we do not know is kept in Extra
// and written back.
type VimInstance struct {
	BaseEntity
	Name     string    `json:"name,omitempty"`
	AuthURL  string    `json:"authUrl,omitempty"`
	Location *Location `json:"location,omitempty"`
	Type     string    `json:"type,omitempty"`
	Active   *bool     `json:"active,omitempty"`

	// TLS material of a tcp:// endpoint (PEM).
	CA        string `json:"ca,omitempty"`
	Cert      string `json:"cert,omitempty"`
	DockerKey string `json:"dockerKey,omitempty"`

	// Images and Networks are always written as arrays (the NFVO iterates
	// them without null checks).
	Images   []DockerImage   `json:"images"`
	Networks []DockerNetwork `json:"networks"`

	Extra Extra `json:"-"`
}

type vimInstanceJSON VimInstance

// UnmarshalJSON keeps unknown keys in Extra.
func (v *VimInstance) UnmarshalJSON(b []byte) error {
	var w vimInstanceJSON
	extra, err := decodeKeeping(b, &w)
	if err != nil {
		return err
	}
	*v = VimInstance(w)
	v.Extra = extra
	return nil
}

// MarshalJSON writes the known fields (images and networks as arrays, never
// null) and the kept unknown keys.
func (v VimInstance) MarshalJSON() ([]byte, error) {
	w := vimInstanceJSON(v)
	if w.Images == nil {
		w.Images = []DockerImage{}
	}
	if w.Networks == nil {
		w.Networks = []DockerNetwork{}
	}
	return encodeKeeping(w, v.Extra)
}

// checkType accepts "docker" and "docker.<name>".
func (v *VimInstance) checkType() error {
	if v.Type == VimType || strings.HasPrefix(v.Type, VimType+".") {
		return nil
	}
	return fmt.Errorf("vim instance %q has type %q: this driver serves %q and %q", v.Name, v.Type, VimType, VimType+".<name>")
}
