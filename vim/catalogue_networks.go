package vim

// BaseNetwork is org.openbaton.catalogue.nfvo.networks.BaseNetwork.
type BaseNetwork struct {
	BaseEntity
	Name  string `json:"name,omitempty"`
	ExtID string `json:"extId,omitempty"`
}

// DockerNetwork is the network of a DockerVimInstance. Subnet is written
// even when empty: the key "subnet" is how the NFVO recognises a
// DockerNetwork in createNetwork/getNetworkById/updateNetwork answers
// (without it, a ClassCastException in NetworkManagement.add).
type DockerNetwork struct {
	BaseNetwork
	Scope   string `json:"scope,omitempty"`
	Driver  string `json:"driver,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	Subnet  string `json:"subnet"`
}

// Network is the OpenStack network (has "subnets"); only decoded, for a
// createNetwork/updateNetwork request that carries one.
type Network struct {
	BaseNetwork
	External  *bool    `json:"external,omitempty"`
	ExtShared *bool    `json:"extShared,omitempty"`
	Subnets   []Subnet `json:"subnets"`
}

// Subnet is org.openbaton.catalogue.nfvo.networks.Subnet.
type Subnet struct {
	BaseEntity
	Name      string   `json:"name,omitempty"`
	ExtID     string   `json:"extId,omitempty"`
	NetworkID string   `json:"networkId,omitempty"`
	CIDR      string   `json:"cidr,omitempty"`
	GatewayIP string   `json:"gatewayIp,omitempty"`
	DNS       []string `json:"dns,omitempty"`
}

// networkRequest decodes any BaseNetwork the NFVO sends (DockerNetwork,
// Network or BaseNetwork): the union of their fields.
type networkRequest struct {
	BaseNetwork
	Scope   string   `json:"scope,omitempty"`
	Driver  string   `json:"driver,omitempty"`
	Gateway string   `json:"gateway,omitempty"`
	Subnet  string   `json:"subnet,omitempty"`
	Subnets []Subnet `json:"subnets,omitempty"`
}

// cidr is the subnet the request asks for: DockerNetwork.subnet, else the
// first OpenStack subnet's cidr, else "" (the Pop picks one).
func (n networkRequest) cidr() string {
	if n.Subnet != "" {
		return n.Subnet
	}
	for _, s := range n.Subnets {
		if s.CIDR != "" {
			return s.CIDR
		}
	}
	return ""
}

// gateway is the gateway the request asks for, if any.
func (n networkRequest) gateway() string {
	if n.Gateway != "" {
		return n.Gateway
	}
	for _, s := range n.Subnets {
		if s.GatewayIP != "" {
			return s.GatewayIP
		}
	}
	return ""
}
