package vnfm

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// pullConcurrency bounds the addImage calls one INSTANTIATE has in flight.
const pullConcurrency = 4

// pullImages makes the VNFD's images present before GRANT_OPERATION: the
// NFVO's grant refreshes the VIM it picks for each VDU and fails ("None
// of the images … where found") unless one of the VDU's vm_image is
// listed. The VIM is not picked yet, so every vm_image goes onto every VIM
// instance INSTANTIATE lists for the VDU, by the driver's addImage over
// the queue the VNFM already calls (a present image answers at once; the
// driver pulls one image once however many ask). A VDU is ready on a VIM
// when one of its images is there, as the grant asks; otherwise the error
// names each image and the registry's answer.
func (v *VNFM) pullImages(ctx context.Context, msg Obj, log logrus.FieldLogger) error {
	vims, jobs, needs := planPulls(msg, log)
	if len(jobs) == 0 {
		return nil
	}
	// The driver's pull timeout ends a pull; the VNFM waits as long as
	// for the NFVO, not one ordinary driver call.
	timeout := max(v.cfg.PluginTimeout, v.cfg.RPCTimeout)
	errs := make(map[pullJob]error, len(jobs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, pullConcurrency)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			vim := vims[j.vimKey]
			l := log.WithFields(logrus.Fields{"image": j.image, "vim": Str(vim, "name")})
			l.Info("making the image present before the grant")
			_, err := v.callPluginWithin(ctx, timeout, vim, "addImage", Obj{"name": j.image}, j.image)
			if err != nil {
				l.WithError(err).Warn("image pull failed")
			}
			mu.Lock()
			errs[j] = err
			mu.Unlock()
		}()
	}
	wg.Wait()

	var problems []string
	for _, n := range needs {
		var why []string
		for _, img := range n.images {
			err := errs[pullJob{n.vimKey, img}]
			if err == nil {
				why = nil
				break
			}
			why = append(why, err.Error())
		}
		if len(why) > 0 {
			problems = append(problems, fmt.Sprintf("VDU %s: none of the images %v could be pulled onto VIM instance %s: %s",
				n.vdu, n.images, Str(vims[n.vimKey], "name"), strings.Join(why, "; ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("images for the grant: %s", strings.Join(problems, "; "))
	}
	return nil
}

// pullJob is one image onto one VIM instance (by id/name).
type pullJob struct{ vimKey, image string }

// pullNeed is a VDU that is ready on a VIM once one of its images is there.
type pullNeed struct {
	vdu, vimKey string
	images      []string
}

// planPulls lists the pulls INSTANTIATE asks for: every vm_image of every
// VDU onto every VIM instance listed for it, each pair once. Only Docker
// VIM instances (type docker or docker.<name>): addImage on another
// type's plugin would ask that VIM to make an image from the link (an
// OpenStack upload), and this VNFM deploys nothing there.
func planPulls(msg Obj, log logrus.FieldLogger) (map[string]Obj, []pullJob, []pullNeed) {
	vims := map[string]Obj{}
	var jobs []pullJob
	var needs []pullNeed
	seen := map[pullJob]bool{}
	byVDU := Sub(msg, "vimInstances")
	for _, vdu := range List(Sub(msg, "vnfd"), "vdu") {
		images := Strings(vdu, "vm_image")
		list, _ := byVDU[Str(vdu, "id")].([]any)
		for _, x := range list {
			vim, ok := x.(map[string]any)
			if !ok || len(images) == 0 {
				continue
			}
			if !dockerVIM(vim) {
				log.WithFields(logrus.Fields{"vim": Str(vim, "name"), "type": Str(vim, "type")}).Debug("no image pull onto a VIM instance that is not of type docker")
				continue
			}
			key := numberString(vim["id"]) + "/" + Str(vim, "name")
			vims[key] = vim
			needs = append(needs, pullNeed{vdu: Str(vdu, "name"), vimKey: key, images: images})
			for _, img := range images {
				if j := (pullJob{key, img}); !seen[j] {
					seen[j] = true
					jobs = append(jobs, j)
				}
			}
		}
	}
	return vims, jobs, needs
}

// dockerVIM: the VIM types the Docker VIM driver serves (an unset type is
// taken as docker, as callPlugin does).
func dockerVIM(vim Obj) bool {
	t := strings.ToLower(Str(vim, "type"))
	return t == "" || t == "docker" || strings.HasPrefix(t, "docker.")
}
