package vim

// BaseNfvImage is org.openbaton.catalogue.nfvo.images.BaseNfvImage.
type BaseNfvImage struct {
	BaseEntity
	ExtID   string `json:"extId,omitempty"`
	Created Date   `json:"created,omitzero"`
}

// DockerImage is what a DockerVimInstance lists. Tags is always written:
// the key "tags" is how the NFVO tells a DockerImage from other images, and
// it matches VDU vm_image names against its strings exactly.
type DockerImage struct {
	BaseNfvImage
	Tags []string `json:"tags"`
}

// NFVImage is the OpenStack-style image: the type of Server.image and of
// the addImage parameter and answer.
type NFVImage struct {
	BaseNfvImage
	Name            string `json:"name,omitempty"`
	MinRAM          *int64 `json:"minRam,omitempty"`
	MinDiskSpace    *int64 `json:"minDiskSpace,omitempty"`
	MinCPU          string `json:"minCPU,omitempty"`
	IsPublic        *bool  `json:"isPublic,omitempty"`
	DiskFormat      string `json:"diskFormat,omitempty"`
	ContainerFormat string `json:"containerFormat,omitempty"`
	Updated         Date   `json:"updated,omitzero"`
	// Status is the ImageStatus enum: UNRECOGNIZED, ACTIVE, SAVING, QUEUED,
	// KILLED, PENDING_DELETE, DELETED.
	Status string `json:"status,omitempty"`
	// Post-6.0 fields, echoed when sent.
	URL           string `json:"url,omitempty"`
	Hash          string `json:"hash,omitempty"`
	IsInImageRepo *bool  `json:"isInImageRepo,omitempty"`
	StoredLocally *bool  `json:"storedLocally,omitempty"`
}

// ImageStatusActive is the NFVImage status of an image present on the host.
const ImageStatusActive = "ACTIVE"
