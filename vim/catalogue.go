package vim

// Go types for the Open Baton catalogue objects a VIM driver exchanges with
// the NFVO (protocol spec §4). JSON names are the Java field names verbatim;
// null Java fields are omitted, as Gson does; dates use Date.

// BaseEntity is the NFVO's org.openbaton.catalogue.util.BaseEntity.
type BaseEntity struct {
	ID string `json:"id,omitempty"`
	// HbVersion is the JPA @Version: echoed as received (a stale one makes
	// the NFVO's save fail), hence a pointer to keep 0 apart from absent.
	HbVersion *int              `json:"hbVersion,omitempty"`
	ProjectID string            `json:"projectId,omitempty"`
	Shared    *bool             `json:"shared,omitempty"`
	Metadata  map[string]string `json:"metadata,omitzero"`
}

// Location is org.openbaton.catalogue.nfvo.Location. Unknown keys survive a
// decode/encode round trip (refresh echoes it).
type Location struct {
	BaseEntity
	Name      string `json:"name,omitempty"`
	Latitude  string `json:"latitude,omitempty"`
	Longitude string `json:"longitude,omitempty"`

	Extra Extra `json:"-"`
}

type locationJSON Location

// UnmarshalJSON keeps unknown keys in Extra.
func (l *Location) UnmarshalJSON(b []byte) error {
	var v locationJSON
	extra, err := decodeKeeping(b, &v)
	if err != nil {
		return err
	}
	*l = Location(v)
	l.Extra = extra
	return nil
}

// MarshalJSON writes the known fields and the kept unknown keys.
func (l Location) MarshalJSON() ([]byte, error) {
	return encodeKeeping(locationJSON(l), l.Extra)
}

// Key is org.openbaton.catalogue.security.Key (a public key of the project
// key store, sent as the 10th parameter of launchInstanceAndWait).
type Key struct {
	BaseEntity
	Name        string `json:"name,omitempty"`
	PublicKey   string `json:"publicKey,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// VNFDConnectionPoint is one NIC of a VNFC as the NFVO sends it at launch.
type VNFDConnectionPoint struct {
	BaseEntity
	// VirtualLinkReference is the VLD name (required).
	VirtualLinkReference string `json:"virtual_link_reference,omitempty"`
	// VirtualLinkReferenceID is the network's extId, set at grant time.
	VirtualLinkReferenceID string `json:"virtual_link_reference_id,omitempty"`
	// FloatingIP is "random", an IPv4, "" or absent.
	FloatingIP  string `json:"floatingIp,omitempty"`
	FixedIP     string `json:"fixedIp,omitempty"`
	ChosenPool  string `json:"chosenPool,omitempty"`
	InterfaceID *int   `json:"interfaceId,omitempty"`
	Type        string `json:"type,omitempty"`
}

// DeploymentFlavour is org.openbaton.catalogue.mano.common.DeploymentFlavour.
type DeploymentFlavour struct {
	BaseEntity
	FlavourKey string `json:"flavour_key,omitempty"`
	ExtID      string `json:"extId,omitempty"`
	RAM        int    `json:"ram"`
	Disk       int    `json:"disk"`
	VCPUs      int    `json:"vcpus"`
}

// Quota is org.openbaton.catalogue.nfvo.Quota (not a BaseEntity). Negative
// values make the NFVO raise "Infinite quota are not allowed".
type Quota struct {
	ID          string `json:"id,omitempty"`
	Version     int    `json:"version"`
	Tenant      string `json:"tenant,omitempty"`
	Cores       int    `json:"cores"`
	FloatingIPs int    `json:"floatingIps"`
	Instances   int    `json:"instances"`
	KeyPairs    int    `json:"keyPairs"`
	RAM         int    `json:"ram"`
}

// Server is org.openbaton.catalogue.nfvo.Server (not a BaseEntity), the
// answer of launch*, rebuildServer and listServer. IPs and FloatingIPs are
// never null (the NFVO dereferences both) and no IP list is empty.
type Server struct {
	Name               string              `json:"name,omitempty"`
	Image              *NFVImage           `json:"image,omitempty"`
	Flavor             *DeploymentFlavour  `json:"flavor,omitempty"`
	Status             string              `json:"status,omitempty"`
	ExtendedStatus     string              `json:"extendedStatus,omitempty"`
	ExtID              string              `json:"extId,omitempty"`
	IPs                map[string][]string `json:"ips"`
	FloatingIPs        map[string]string   `json:"floatingIps"`
	Created            Date                `json:"created,omitzero"`
	Updated            Date                `json:"updated,omitzero"`
	HostName           string              `json:"hostName,omitempty"`
	HypervisorHostName string              `json:"hypervisorHostName,omitempty"`
	InstanceName       string              `json:"instanceName,omitempty"`
}

// Server.status values (Open Baton uses the OpenStack names).
const (
	StatusActive  = "ACTIVE"
	StatusBuild   = "BUILD"
	StatusShutoff = "SHUTOFF"
	StatusError   = "ERROR"
)
